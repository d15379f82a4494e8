from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # CONTINUOUS exports hear of committed events through audit's hook
        # (audit never imports exports); see audit/hooks.py for why this is
        # not business logic in a signal.
        from audit import hooks
        from exports.services import org_streams, queueing

        hooks.events_committed_connect(queueing.continuous_notify)
        # Deleting an org archives its log streams first (org_delete calls
        # the hook in its transaction; the ledger of a stream outlives it).
        hooks.org_deleting_connect(org_streams.org_streams_archive)
