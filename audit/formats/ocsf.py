"""``ocsf``: gzip'd NDJSON of OCSF 1.x records, one per event (SPEC section 9).

Each event becomes a record of the class, activity and severity its type maps
to (``audit.formats.ocsf_map``), with the OCSF base attributes (``time`` in
milliseconds, ``metadata`` naming auditsite and the event id as
``metadata.uid``), who acted (``actor``), whom it is about (``user``), where
the request came from (``src_endpoint``), the class's own object
(``entity`` / ``group`` / ``api``) and the original SPEC event under
``unmapped``. Records hold nothing that changes between two renderings of
the same events (no product release, no time of writing), so re-cuts and
replays write the same bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from audit.formats.base import json_lines_gzip_format
from audit.formats.ocsf_map import CLASSES, OCSF_VERSION, SEVERITIES, mapping_for

PRODUCT = {"name": "auditsite", "vendor_name": "auditsite"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
# OCSF user type ids: 1 User, 2 Admin, 3 System, 99 Other.
_USER_TYPE_IDS = {"User": 1, "Impersonation": 1, "Employee": 2, "System": 3}


def _account(uid: str, name: str) -> dict[str, Any]:
    return {"name": name, "type": "auditsite", "type_id": 99, "uid": uid}


def _subject(row: Any) -> dict[str, Any] | None:
    """The OCSF ``user`` the event is about, if any."""
    if not row.user_id and not row.user_email:
        return None
    uid = str(row.user_id) if row.user_id else row.user_email
    name = row.user_email or uid
    user: dict[str, Any] = {
        "account": _account(uid, name),
        "name": name,
        "type": "User",
        "type_id": 1,
        "uid": uid,
    }
    if row.user_email:
        user["email_addr"] = row.user_email
    if row.org_id:
        user["org"] = {"name": row.org_name or None, "uid": str(row.org_id)}
    return user


def _actor(row: Any) -> dict[str, Any]:
    """The OCSF ``actor``: who caused the event (and who impersonated)."""
    metadata = row.caused_by_metadata or {}
    uid = row.caused_by_id or row.caused_by_type
    name = metadata.get("email") or metadata.get("name") or uid
    type_id = _USER_TYPE_IDS.get(row.caused_by_type, 99)
    user: dict[str, Any] = {
        "account": _account(uid, name),
        "name": name,
        "type": row.caused_by_type if type_id == 99 else None,
        "type_id": type_id,
        "uid": uid,
    }
    if metadata.get("email"):
        user["email_addr"] = metadata["email"]
    actor: dict[str, Any] = {"user": {k: v for k, v in user.items() if v is not None}}
    if row.impersonator_id or row.impersonator_metadata:
        impersonator = row.impersonator_metadata or {}
        actor["invoked_by"] = impersonator.get("email") or row.impersonator_id
    return actor


def _class_object(class_uid: int, row: Any) -> dict[str, Any]:
    """The object a class is about: the org as entity or group, or the API call."""
    org = {"name": row.org_name or None, "uid": str(row.org_id) if row.org_id else None}
    org = {k: v for k, v in org.items() if v is not None}
    if class_uid == 3004:
        return {"entity": {"type": "Organization", **org}} if org else {}
    if class_uid == 3006:
        return {"group": {"type": "Organization", **org}} if org else {}
    if class_uid == 6003:
        return {"api": {"operation": row.event_type, "service": {"name": "auditsite"}}}
    return {}


def record(row: Any) -> dict[str, Any]:
    """The OCSF record of one event (a typed row with ``category``)."""
    mapping = mapping_for(row.event_type, row.category)
    ocsf_class = CLASSES[mapping.class_uid]
    activity = ocsf_class.activities[mapping.activity_id]
    spec = row.spec()
    out: dict[str, Any] = {
        "activity_id": mapping.activity_id,
        "activity_name": activity,
        "category_name": ocsf_class.category_name,
        "category_uid": ocsf_class.category_uid,
        "class_name": ocsf_class.name,
        "class_uid": ocsf_class.uid,
        "type_name": f"{ocsf_class.name}: {activity}",
        "type_uid": ocsf_class.uid * 100 + mapping.activity_id,
        "severity": SEVERITIES[mapping.severity_id],
        "severity_id": mapping.severity_id,
        "status": "Failure" if mapping.failure else "Success",
        "status_id": 2 if mapping.failure else 1,
        "time": (row.created_at - _EPOCH) // _MILLISECOND,
        "metadata": {
            "event_code": row.event_type,
            "product": PRODUCT,
            "uid": spec["id"],
            "version": OCSF_VERSION,
            **({"tenant_uid": spec["org_id"]} if spec["org_id"] else {}),
        },
        "actor": _actor(row),
        **_class_object(ocsf_class.uid, row),
        "unmapped": {**spec, "category": row.category},
    }
    user = _subject(row)
    if user is not None:
        out["user"] = user
    if spec["caused_by_source_ip"]:
        out["src_endpoint"] = {"ip": spec["caused_by_source_ip"]}
    if spec["caused_by_user_agent"]:
        out["http_request"] = {"user_agent": spec["caused_by_user_agent"]}
    return out


# One OCSF JSON record per line.
FORMAT = json_lines_gzip_format(
    name="ocsf",
    label="OCSF (gzip'd newline-delimited JSON)",
    extension="ocsf.json.gz",
    record=record,
)
