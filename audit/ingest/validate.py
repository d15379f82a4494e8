"""Ingest validation, pure: each item of a batch -> a database row or errors.

No queries here: ``audit.ingest.store`` reads what a batch names (catalog,
users, orgs, ids already stored) once per batch and hands it in as
``References``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from audit.actors import Actor
from audit.catalog import OPERATOR, ORG, USER
from audit.ingest.values import (
    id_text,
    ip_text,
    json_text,
    ref_uuid,
    text_problem,
    timestamp_value,
)
from audit.models import CausedByType
from audit.spec import CAUSE_COLUMNS, SPEC_FIELDS, actor_columns

MAX_BATCH_ITEMS = 1000
MAX_BODY_BYTES = 5 * 1024 * 1024

# The SPEC fields, plus the output-only description (ignored on input) so that
# events read back from the API can be posted again as they are.
ACCEPTED_FIELDS = frozenset({*SPEC_FIELDS, "description"})
CAUSED_BY_TYPES = frozenset(CausedByType.values)
# An event about someone the directory does not hold: say how to add them.
NO_USER_ID = "no user has this id; create it first with POST /api/v1/users/"
NO_USER_EMAIL = "no user has this email; create it first with POST /api/v1/users/"
NO_ORG_ID = "no org has this id; create it first with POST /api/v1/orgs/"
NO_ORG_NAME = "no org has this name; create it first with POST /api/v1/orgs/"


@dataclass(frozen=True)
class IngestError:
    """One problem with one item: ``field`` is None when the whole item is wrong."""

    index: int
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


@dataclass
class Names:
    """The users and orgs a batch names, by id and by email or name."""

    user_ids: set[uuid.UUID] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    org_ids: set[uuid.UUID] = field(default_factory=set)
    org_names: set[str] = field(default_factory=set)


@dataclass
class References:
    """What the database knows of the names of a batch."""

    types: dict[str, str] = field(default_factory=dict)
    users_by_id: dict[uuid.UUID, str] = field(default_factory=dict)
    users_by_email: dict[str, uuid.UUID] = field(default_factory=dict)
    orgs_by_id: dict[uuid.UUID, str] = field(default_factory=dict)
    orgs_by_name: dict[str, list[uuid.UUID]] = field(default_factory=dict)


_CAUSE_TEXTS = (
    ("caused_by_id", 100),
    ("caused_by_user_agent", 2000),
    ("impersonator_id", 100),
)
_CAUSE_OBJECTS = ("caused_by_metadata", "impersonator_metadata")
_BLANK_CAUSE = {**dict.fromkeys(CAUSE_COLUMNS), "caused_by_id": "",
                "caused_by_user_agent": ""}  # fmt: skip


def _stored_cause(cause: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Cause columns as stored (text, JSON text) and the objects holding NUL."""
    stored = {**cause}
    stored["caused_by_id"] = stored["caused_by_id"] or ""
    stored["caused_by_user_agent"] = stored["caused_by_user_agent"] or ""
    nul = []
    for name in _CAUSE_OBJECTS:
        stored[name] = json_text(stored[name])
        if stored[name] is not None and "\\u0000" in stored[name]:
            nul.append(name)
    return stored, tuple(nul)


class BatchValidator:
    """Checks every item of a batch and builds the database rows.

    Pure: what the batch names is looked up by the caller
    (``audit.ingest.store``) and handed in as ``References``.
    """

    def __init__(
        self,
        *,
        actor: Actor,
        items: list[Any],
        now: datetime,
        max_future_skew: timedelta,
    ):
        self.actor = actor
        self.items = items
        self.errors: list[IngestError] = []
        self.now = now
        self.max_future_skew = max_future_skew
        self.refs = References()
        # The cause of items that name none: the actor's columns, as stored.
        self.actor_cause, self.actor_nul = _stored_cause(actor_columns(actor))

    def error(self, index: int, field_name: str | None, message: str) -> None:
        self.errors.append(IngestError(index, field_name, message))

    def rows(
        self, todo: list[tuple[int, dict]], ids: list[str], refs: References
    ) -> list[dict]:
        """The row of each item of ``todo`` (errors recorded for the bad ones)."""
        self.refs = refs
        rows = []
        for index, item in todo:
            row = self.row(index, item, ids[index])
            if row is not None:
                rows.append(row)
        return rows

    def parse_ids(self) -> list[str]:
        """Every item's id as UUID text (made up when it gives none)."""
        ids: list[str] = []
        seen: dict[str, int] = {}
        self.given_ids = seen
        for index, item in enumerate(self.items):
            if not isinstance(item, dict):
                self.error(index, None, "must be a JSON object")
                ids.append(str(uuid.uuid4()))
                continue
            if not ACCEPTED_FIELDS.issuperset(item):
                for name in sorted(set(item) - ACCEPTED_FIELDS):
                    self.error(index, name, "is not a field of an event")
            raw = item.get("id")
            if raw is None:
                ids.append(str(uuid.uuid4()))
                continue
            ident = id_text(raw)
            if ident is None:
                self.error(index, "id", "must be a UUID")
                ident = str(uuid.uuid4())
            elif ident in seen:
                self.error(index, "id", f"repeats the id of item {seen[ident]}")
            seen.setdefault(ident, index)
            ids.append(ident)
        return ids

    @staticmethod
    def names(todo: list[tuple[int, dict]]) -> Names:
        """The users and orgs the batch names (one lookup each in the store)."""
        names = Names()
        for _, item in todo:
            if (ident := ref_uuid(item.get("user_id"))) is not None:
                names.user_ids.add(ident)
            # Text with NUL cannot be sent to PostgreSQL; it matches nothing.
            if isinstance(email := item.get("user_email"), str) and email:
                if "\x00" not in email:
                    names.emails.add(email.strip().lower())
            if (ident := ref_uuid(item.get("org_id"))) is not None:
                names.org_ids.add(ident)
            if isinstance(name := item.get("org_name"), str) and name:
                if "\x00" not in name:
                    names.org_names.add(name)
        return names

    def resolve_user(self, index: int, item: dict) -> tuple[uuid.UUID | None, str]:
        raw_id, raw_email = item.get("user_id"), item.get("user_email")
        user_id = email = None
        if raw_id is not None:
            user_id = ref_uuid(raw_id)
            if user_id is None:
                self.error(index, "user_id", "must be a UUID")
                return None, ""
            email = self.refs.users_by_id.get(user_id)
            if email is None:
                self.error(index, "user_id", NO_USER_ID)
                return None, ""
        if raw_email is not None and raw_email != "":
            if not isinstance(raw_email, str):
                self.error(index, "user_email", "must be a string")
                return None, ""
            by_email = self.refs.users_by_email.get(raw_email.strip().lower())
            if by_email is None:
                self.error(index, "user_email", NO_USER_EMAIL)
                return None, ""
            if user_id is not None and by_email != user_id:
                self.error(index, "user_email", "is not the email of user_id")
                return None, ""
            user_id, email = by_email, self.refs.users_by_id[by_email]
        return user_id, email or ""

    def resolve_org(self, index: int, item: dict) -> tuple[uuid.UUID | None, str]:
        raw_id, raw_name = item.get("org_id"), item.get("org_name")
        org_id = name = None
        if raw_id is not None:
            org_id = ref_uuid(raw_id)
            if org_id is None:
                self.error(index, "org_id", "must be a UUID")
                return None, ""
            name = self.refs.orgs_by_id.get(org_id)
            if name is None:
                self.error(index, "org_id", NO_ORG_ID)
                return None, ""
            if raw_name not in (None, "") and raw_name != name:
                self.error(index, "org_name", "is not the name of org_id")
                return None, ""
            return org_id, name
        if raw_name is not None and raw_name != "":
            if not isinstance(raw_name, str):
                self.error(index, "org_name", "must be a string")
                return None, ""
            matches = self.refs.orgs_by_name.get(raw_name, [])
            if not matches:
                self.error(index, "org_name", NO_ORG_NAME)
                return None, ""
            if len(matches) > 1:
                self.error(
                    index, "org_name", "several orgs have this name: send org_id"
                )
                return None, ""
            return matches[0], raw_name
        return None, ""

    def row(self, index: int, item: dict, ident: str) -> dict | None:
        errors_before = len(self.errors)
        event_type = item.get("event_type")
        category = (
            self.refs.types.get(event_type) if isinstance(event_type, str) else None
        )
        if event_type is None:
            self.error(index, "event_type", "is required")
        elif category is None:
            self.error(index, "event_type", "is not a known event type")
        elif category == OPERATOR:
            self.error(
                index, "event_type", "is an operator event: only auditsite records it"
            )
            category = None

        event_data = item.get("event_data")
        if event_data is None:
            event_data = {event_type: {}} if category else None
        elif not isinstance(event_data, dict):
            self.error(index, "event_data", "must be an object")
        elif category and (
            list(event_data) != [event_type]
            or not isinstance(event_data[event_type], dict)
        ):
            self.error(
                index,
                "event_data",
                f'must be {{"{event_type}": {{...details...}}}}',
            )

        before = len(self.errors)
        user_id, user_email = self.resolve_user(index, item)
        if category == USER and user_id is None and len(self.errors) == before:
            self.error(index, "user_id", "a user event needs user_id or user_email")
        before = len(self.errors)
        org_id, org_name = self.resolve_org(index, item)
        if category == ORG and org_id is None and len(self.errors) == before:
            self.error(index, "org_id", "an org event needs org_id or org_name")

        created_at = self.now
        if item.get("created_at") is not None:
            parsed = timestamp_value(item["created_at"])
            if isinstance(parsed, str):
                self.error(index, "created_at", parsed)
            elif parsed > self.now + self.max_future_skew:
                self.error(index, "created_at", "is in the future")
            else:
                created_at = parsed

        cause = self.cause(index, item)
        if len(self.errors) > errors_before:
            return None
        event_json = json_text(event_data)
        if "\\u0000" in event_json:
            self.error(index, "event_data", "must not contain NUL characters")
            return None
        return {
            "uuid": ident,
            "user_id": user_id,
            "user_email": user_email,
            "org_id": org_id,
            "org_name": org_name,
            "event_type": event_type,
            "category": category,
            "event_data": event_json,
            "created_at": created_at,
            "recorded_at": self.now,
            **cause,
        }

    def cause(self, index: int, item: dict) -> dict[str, Any]:
        cause_type = item.get("caused_by_type")
        if cause_type is None:
            for name in ("caused_by_id", "caused_by_metadata"):
                if item.get(name) is not None:
                    self.error(index, name, "needs caused_by_type")
            cause = dict(self.actor_cause)
            inherited = self.actor_nul
        elif not isinstance(cause_type, str) or cause_type not in CAUSED_BY_TYPES:
            self.error(
                index,
                "caused_by_type",
                "must be one of " + ", ".join(sorted(CAUSED_BY_TYPES)),
            )
            return {}
        else:
            cause = {**_BLANK_CAUSE, "caused_by_type": cause_type}
            inherited = ()
        for name, max_length in _CAUSE_TEXTS:
            if item.get(name) is not None:
                message = text_problem(item[name], max_length)
                if message:
                    self.error(index, name, message)
                else:
                    cause[name] = str(item[name])
        given = []
        for name in _CAUSE_OBJECTS:
            value = item.get(name)
            if value is not None:
                if not isinstance(value, dict):
                    self.error(index, name, "must be an object or null")
                else:
                    given.append(name)
                    cause[name] = value
        ip = item.get("caused_by_source_ip")
        if ip is not None:
            text = ip_text(ip) if isinstance(ip, str) else None
            if text is None:
                self.error(index, "caused_by_source_ip", "must be an IP address")
            else:
                cause["caused_by_source_ip"] = text
        for name in _CAUSE_OBJECTS:
            if name in given:
                text = json_text(cause[name])
                if "\\u0000" in text:
                    self.error(index, name, "must not contain NUL characters")
                cause[name] = text
            elif name in inherited:
                self.error(index, name, "must not contain NUL characters")
        return cause
