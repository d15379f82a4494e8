from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the API key scheme with drf-spectacular.
        # Sign-in events (SPEC 7): Django's auth signals and django-axes' lockout.
        from audit import (
            schema,  # noqa: F401
            signin,
        )

        signin.connect_axes()
