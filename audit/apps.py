from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the API key scheme with drf-spectacular.
        from audit import schema  # noqa: F401
