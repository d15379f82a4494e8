from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Sign-in events (SPEC 7): Django's auth signals and django-axes' lockout.
        # (The API key scheme is registered with drf-spectacular where the
        # API's URLs are included, auditsite/urls.py: a command that serves
        # no API does not import drf-spectacular.)
        from audit import signin

        signin.connect_axes()
