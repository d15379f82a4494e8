"""Static files in production: WhiteNoise serves what collectstatic gathered."""

from django.core.management import call_command
from django.test import RequestFactory, override_settings
from whitenoise.middleware import WhiteNoiseMiddleware


def test_whitenoise_serves_collected_static_files_without_debug(tmp_path):
    """With DEBUG off, /static/auditsite.css is served by the app itself."""
    with override_settings(STATIC_ROOT=tmp_path, DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        assert (tmp_path / "auditsite.css.gz").exists()
        middleware = WhiteNoiseMiddleware(lambda request: None)
        response = middleware(RequestFactory().get("/static/auditsite.css"))
    assert response is not None and response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b".filters" in b"".join(response.streaming_content)
