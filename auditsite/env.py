"""Reading the environment for ``auditsite.settings``: one helper per kind of value.

An unset variable gives the default; a set one is parsed, and a value that
is not a number where one is expected stops the start with the variable's
name (``ImproperlyConfigured``) rather than a bare ``ValueError``.
"""

import os

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str) -> str:
    """The variable as it is set (an empty value stays empty), else ``default``."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """``1``, ``true``, ``yes`` or ``on`` (any case) is on; unset or empty: default."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """A comma-separated list (``default`` is in the same form)."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item]


def _number(name: str, default, kind):
    value = os.environ.get(name)
    if value is None:
        return kind(default)
    try:
        return kind(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a {'whole ' if kind is int else ''}number, not {value!r}."
        ) from None


def env_int(name: str, default: int) -> int:
    """A whole number, e.g. seconds or a count."""
    return _number(name, default, int)


def env_float(name: str, default: float) -> float:
    """A number that may have a fraction, e.g. seconds."""
    return _number(name, default, float)
