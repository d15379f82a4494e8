"""Logging filters used by ``settings.LOGGING``."""

from __future__ import annotations

import logging


class NoTracebackForClientErrors(logging.Filter):
    """Drop the traceback Django attaches to a 4xx (403, 404) request log line.

    A refused request is the app working as designed; the one line saying
    which URL was refused is enough. 5xx keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            record.name == "django.request"
            and getattr(record, "status_code", 500) < 500
        ):
            record.exc_info = None
            record.exc_text = None
        return True


def logging_config(*, level: str, verbose: bool) -> dict:
    """Django's ``LOGGING``: one console handler at ``level`` (``LOG_LEVEL``).

    The worker's, axes' and httpx's per-task and per-request INFO lines show
    only when ``verbose`` (``AUDITSITE_LOG_VERBOSE``).
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "no_client_error_tracebacks": {
                "()": "auditsite.log_filters.NoTracebackForClientErrors"
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["no_client_error_tracebacks"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's default also prints to its own console handler when DEBUG
            # is on, which showed every 403 twice: the root handler is enough.
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django-q": {"level": "INFO" if verbose else "WARNING"},
            # django-axes logs every login at INFO; the audit log records them.
            "axes": {"level": "INFO" if verbose else "WARNING"},
            # httpx logs every request of the HTTP destinations at INFO; the runs
            # record what was delivered.
            "httpx": {"level": "INFO" if verbose else "WARNING"},
        },
    }
