"""Database expressions shared by models and migrations."""

from django.db import models


class CurrentTxid(models.Func):
    """The id of the inserting transaction (PostgreSQL), else 0.

    Used as ``AuditEvent.txid``'s ``db_default`` so that every insert path
    (ORM, ``bulk_create``, raw ``COPY`` without the column) records it. On
    SQLite writers are serialized, so sequence order already is commit order
    and the value is a constant 0.
    """

    template = "0"
    output_field = models.BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return "pg_current_xact_id()::text::bigint", []
