"""Callbacks other apps connect: after events commit, and before an org is deleted.

``audit`` is the ground floor and never imports ``exports``; yet a
``CONTINUOUS`` export must hear about new events within seconds. So ``audit``
keeps a tiny registry: another app connects a callback once (``exports``
does, in ``ExportsConfig.ready()``), and every insert path of events
(``audit.services.event_record``, ``audit.ingest.events_ingest``) calls
``events_recorded()`` inside its transaction.

This is not business logic in a signal (STYLE.md): the callback runs only
after the transaction commits (``transaction.on_commit``), writes nothing and
records nothing. It only nudges background work (queue a run), whose own
service does the writing and keeps its audit trail; if it never ran, the
schedule would still deliver the events, later. A rolled-back transaction
calls nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

_committed: list[Callable[[], None]] = []


def events_committed_connect(callback: Callable[[], None]) -> None:
    """Call ``callback()`` after every commit of a transaction that recorded events.

    Connecting the same callback twice connects it once. The callback must
    be cheap (it runs in the request that recorded the events) and must not
    raise; one that does is logged by Django and the others still run.
    """
    if callback not in _committed:
        _committed.append(callback)


def events_recorded() -> None:
    """Events were inserted in the current transaction: run the callbacks on commit.

    Outside a transaction (autocommit) the callbacks run at once.
    """
    for callback in _committed:
        transaction.on_commit(callback, robust=True)


# --- before an org is deleted ---------------------------------------------------

_org_deleting: list[Callable[..., None]] = []


def org_deleting_connect(callback: Callable[..., None]) -> None:
    """Call ``callback(actor=..., org=...)`` when ``org_delete`` deletes an org.

    Unlike the commit callbacks above, it runs inside ``org_delete``'s
    transaction, before the org's row goes, and may write: ``exports``
    archives the org's log streams there through its own service, which
    records their events (an explicit call by the service, not a signal: a
    delete that skips ``org_delete`` runs nothing, and the database refuses
    it while a stream still points at the org). An exception rolls the whole
    delete back. Connecting the same callback twice connects it once.
    """
    if callback not in _org_deleting:
        _org_deleting.append(callback)


def org_deleting(*, actor, org) -> None:
    """Run every ``org_deleting_connect`` callback for ``org`` (in order)."""
    for callback in _org_deleting:
        callback(actor=actor, org=org)
