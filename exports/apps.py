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
        from exports.services import queueing

        hooks.events_committed_connect(queueing.continuous_notify)
