"""Reads for exports: the events a location still has to deliver, its lag and
health.

Export order is ``(txid, seq)``: the inserting transaction's id, then the
sequence number. On PostgreSQL sequence numbers are taken at INSERT but
transactions commit in another order, so a run only reads events whose
transaction is older than ``pg_snapshot_xmin(pg_current_snapshot())``, the
oldest transaction still in progress (the *horizon*). Every transaction below
it has finished, and any later writer gets a txid at or above it, so no event
can ever appear behind a cursor. On SQLite writers are serialized (settings
use ``transaction_mode=IMMEDIATE``) and txid is always 0: sequence order is
commit order and the horizon is simply 1.

A long transaction in this database (a bulk COPY, a session left "idle in
transaction") holds exports back until it ends: events are delayed, never
lost, and the location's lag shows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from itertools import chain

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet

from audit import formats
from audit.formats import FORMAT_VERSION
from audit.models import AuditEvent, AuditSettings, Category
from audit.selectors import audit_settings_load, org_customer_q, visible_kinds_q
from exports.models import (
    POSITION_ZERO,
    ExportLocation,
    ExportObject,
    ExportRun,
    ExportState,
)
from exports.rows import (
    ExportRow,
    RowDecoder,
    export_row_decode,
    export_row_wire,
    position_after,
    position_up_to,
    rows_list,
    rows_read,
)

DEFAULT_CATEGORIES = [Category.ORG.value, Category.USER.value]


_HORIZON_SQL = """
WITH snap AS (SELECT pg_current_snapshot() AS s),
other_db AS (
    SELECT backend_xid::text::bigint AS x FROM pg_stat_activity
    WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()
),
ours AS (
    SELECT x::text::bigint AS x FROM snap, pg_snapshot_xip(snap.s) AS x
    WHERE (x::text::bigint % 4294967296) NOT IN (SELECT x FROM other_db)
)
SELECT
    COALESCE(
        (SELECT min(x) FROM ours),
        (SELECT pg_snapshot_xmax(s)::text::bigint FROM snap)
    ),
    pg_current_xact_id_if_assigned()::text::bigint,
    EXISTS (
        SELECT 1 FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND backend_xid IS NOT NULL
        AND age(backend_xid) > age(
            (pg_current_xact_id_if_assigned()::text::bigint % 4294967296)::text::xid
        )
    )
"""


def export_horizon() -> int:
    """Events with ``txid`` below this are committed for good (or never will be).

    The oldest transaction still running in this database (transactions of
    other databases in the cluster cannot write our events, so they are left
    out), or the snapshot's xmax when none is.
    """
    if connection.vendor != "postgresql":
        return 1
    with connection.cursor() as cursor:
        cursor.execute(_HORIZON_SQL)
        horizon, own, older_running = cursor.fetchone()
    # Inside a transaction that is the oldest one running here (a test, or a
    # caller that records events and exports in one transaction), its own rows
    # are visible to it and every other writer sorts after them.
    if own is not None and not older_running:
        return max(horizon, own + 1)
    return horizon


def export_selection(
    *, location: ExportLocation, audit_settings: AuditSettings | None = None
) -> dict:
    """What a location selects now: its filters, format, and the hidden kinds.

    SPEC section 5: the kinds of events the global audit log settings exclude
    (impersonation, API keys, employees) are invisible to customers in pages
    and exports, so S3 exports leave them out too. A run records the selection
    with each range it cuts (``ExportLocation.planned_selection``, then
    ``ExportObject.selection``) and a re-cut after a crash or a replay uses the
    recorded one: same range, same selection, same key, same bytes. A run
    reads it once (``exports.services.leases.Lease``), so a change of settings
    or filters applies from the next run's new ranges on, and so does a new
    version of a writer (``format_version``, see ``audit.formats``).

    An org's log stream (``location.org``) selects what that org's pages
    show (``audit.selectors.events_for_viewer``: its events, no ``operator``
    ones, the hidden kinds hidden); its own filters only narrow that, and its
    ``orgs`` filter is ignored.
    """
    audit_settings = audit_settings or audit_settings_load()
    selection = {
        "format": location.file_format,
        "format_version": FORMAT_VERSION,
        "categories": sorted(location.categories or []),
        "event_types": sorted(location.event_types or []),
        "orgs": sorted(str(o) for o in location.orgs or []),
        "hidden_caused_by": audit_settings.hidden_caused_by(),
    }
    if location.org_id is not None:
        selection["org"] = str(location.org_id)
        selection["orgs"] = []
    return selection


def selection_q(*, selection: dict) -> Q:
    """The events a recorded selection takes (an empty filter takes all).

    With ``org`` (an org's log stream) it starts from that org's customer
    events, the same set the org's pages start from, so no filter can widen it.
    """
    selected = org_customer_q(org_id=selection["org"]) if selection.get("org") else Q()
    # No category filter means user and org events: operator events go only
    # where a location asks for them (SPEC section 7); "*" means every one.
    categories = selection.get("categories") or DEFAULT_CATEGORIES
    if "*" not in categories:
        selected &= Q(category__in=categories)
    if selection.get("event_types"):
        selected &= Q(event_type__in=selection["event_types"])
    if selection.get("orgs"):
        selected &= Q(org_id__in=selection["orgs"])
    return selected & visible_kinds_q(
        hidden_caused_by=selection.get("hidden_caused_by") or []
    )


def events_selected(*, selection: dict) -> QuerySet[AuditEvent]:
    """All events a recorded selection takes (an empty filter takes all)."""
    return AuditEvent.objects.filter(selection_q(selection=selection))


def events_matching(*, location: ExportLocation) -> QuerySet[AuditEvent]:
    """All events a location selects now (filters and the hidden kinds)."""
    return events_selected(selection=export_selection(location=location))


def export_location_cursor(*, location: ExportLocation) -> str:
    """Where ``location`` stands in export order (zero before its first run)."""
    try:
        return location.state.cursor
    except ExportState.DoesNotExist:
        return POSITION_ZERO


def row_decoder(*, selection: dict, json_text: bool = False) -> RowDecoder:
    """How a range's raw rows become ``ExportRow``s: its JSON columns kept as
    the database's text where ``json_text`` (HTTP bodies) or where the
    selection's writer takes them so (``Format.takes_json_text``), else
    decoded. The same selection reads the same rows on every re-cut."""
    if not json_text and selection.get("format"):
        version = selection.get("format_version", 1)
        json_text = formats.format_for(selection["format"]).takes_json_text(version)
    return export_row_wire if json_text else export_row_decode


def export_rows_after(
    *, selection: dict, after: str, horizon: int, limit: int, json_text: bool = False
) -> list[ExportRow]:
    """Up to ``limit`` selected rows after ``after``, below the horizon, in order."""
    return rows_list(
        events_selected(selection=selection)
        .filter(position_after(after), txid__lt=horizon)
        .order_by("txid", "seq")[:limit],
        row_decoder(selection=selection, json_text=json_text),
    )


# The database sends at most this many rows per query (the next query goes
# on after the last one), and the driver's raw rows become ExportRows this
# many at a time as the day is walked.
EXPORT_QUERY_ROWS = 2000
EXPORT_FETCH_ROWS = 500


@contextmanager
def _decoded_lazily(qs: QuerySet, decode: RowDecoder) -> Iterator[Iterator[ExportRow]]:
    """The rows of ``qs`` (a ``rows_read`` queryset) from one query, decoded
    only as far as they are consumed (the driver keeps the rest as raw bytes)."""
    compiler = qs.query.get_compiler(using=qs.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        yield iter(())
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        chunks = iter(lambda: cursor.fetchmany(EXPORT_FETCH_ROWS), [])
        if connection.vendor == "postgresql":
            # Every column comes as text or an integer (rows_read): there is
            # nothing for Django's per-row converters to do.
            yield map(decode, chain.from_iterable(chunks))
            return
        # results_iter applies the backend's converters (SQLite's UUIDs and
        # datetimes), as values_list does.
        yield map(decode, compiler.results_iter(results=chunks))


def export_rows_of_one_day(
    *,
    selection: dict,
    after: str,
    horizon: int,
    limit: int,
    by_day: bool = True,
    json_text: bool = False,
) -> list[ExportRow]:
    """The next range's rows: up to ``limit`` after ``after``, of one UTC day.

    A range is cut where the UTC day of ``created_at`` changes in export
    order, so every object holds the events of one day (its
    ``year=/month=/day=`` partition). Read in queries of
    ``EXPORT_QUERY_ROWS`` and decoded only up to where the day changes: the
    database sends at most one query's rows past the day, and none of them is
    turned into Python values. Without ``by_day`` (an HTTP destination has
    no partitions) a range is simply the next ``limit`` rows.
    ``json_text``: see ``row_decoder``.
    """
    events = events_selected(selection=selection).filter(txid__lt=horizon)
    decode = row_decoder(selection=selection, json_text=json_text)
    rows: list[ExportRow] = []
    day = None
    while len(rows) < limit:
        # Without day cuts no row is read past the range: one query takes it.
        want = min(EXPORT_QUERY_ROWS, limit - len(rows)) if by_day else limit
        position = rows[-1].position if rows else after
        qs = rows_read(
            events.filter(position_after(position)).order_by("txid", "seq")[:want]
        )
        with _decoded_lazily(qs, decode) as batch:
            if not by_day:
                had = len(rows)
                rows.extend(batch)
                got = len(rows) - had
            else:
                got = 0
                for row in batch:
                    got += 1
                    if day is None:
                        # The day's bounds, compared as datetimes: no date
                        # is made for every row.
                        day = row.day
                        start = datetime.combine(day, time.min, tzinfo=UTC)
                        end = start + timedelta(days=1)
                    elif not start <= row.created_at < end:
                        return rows
                    rows.append(row)
        if got < want:
            break
    return rows


def export_rows_between(
    *, selection: dict, after: str, up_to: str, json_text: bool = False
) -> list[ExportRow]:
    """The selected rows in the interval ``(after, up_to]``, in order
    (``json_text``: see ``row_decoder``)."""
    return rows_list(
        events_selected(selection=selection)
        .filter(position_after(after), position_up_to(up_to))
        .order_by("txid", "seq"),
        row_decoder(selection=selection, json_text=json_text),
    )


def export_runs_for(*, location: ExportLocation) -> QuerySet[ExportRun]:
    """A location's run history, newest first."""
    return ExportRun.objects.filter(location=location).order_by("-started_at", "-id")


def export_objects_for(*, location: ExportLocation) -> QuerySet[ExportObject]:
    """The objects a location delivered, in export order."""
    return ExportObject.objects.filter(location=location).order_by("position_to")
