from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the digest admin (kept apart from the locations' admin.py).
        from exports import admin_digests  # noqa: F401
