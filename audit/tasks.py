"""django-q2 tasks of the audit app: load ids, call one service."""

import logging

from audit import retention

logger = logging.getLogger(__name__)


def events_purge() -> dict:
    """Daily retention purge (schedule `audit-retention-purge-daily`)."""
    report = retention.events_purge()
    for line in report.lines():
        logger.info("retention purge: %s", line)
    return report.as_dict()
