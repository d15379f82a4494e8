"""What an operator API key may do: its scopes (SPEC section 10), named once."""

from django.db import models


class Scope(models.TextChoices):
    """One thing an operator API key may do; a key holds one or more."""

    EVENTS_WRITE = "events:write", "events:write: send events (ingestion)"
    EVENTS_READ = "events:read", "events:read: read events"
    DIRECTORY_WRITE = "directory:write", "directory:write: change users, orgs, members"
    DIRECTORY_READ = "directory:read", "directory:read: read users, orgs, members"
    EXPORTS_READ = "exports:read", "exports:read: read export locations and runs"
    EXPORTS_WRITE = "exports:write", "exports:write: change export locations"
    PORTAL = "portal", "portal: mint portal links"


# What a new key gets when nobody chose: ingestion only (least privilege).
DEFAULT_SCOPES: tuple[str, ...] = (Scope.EVENTS_WRITE.value,)
ALL_SCOPES: tuple[str, ...] = tuple(Scope.values)


def default_scopes() -> list[str]:
    """A new key's scopes when none are chosen (a callable model default)."""
    return list(DEFAULT_SCOPES)


def scopes_clean(scopes) -> list[str]:
    """``scopes`` in the catalog's order, without repeats; refuses an unknown one.

    An empty choice is the default (``events:write``). Raises ``ValueError``
    naming the unknown scope and listing the known ones.
    """
    chosen = set()
    for scope in scopes or ():
        if scope not in ALL_SCOPES:
            raise ValueError(
                f"Unknown scope {scope!r}: choose from {', '.join(ALL_SCOPES)}."
            )
        chosen.add(scope)
    if not chosen:
        return default_scopes()
    return [scope for scope in ALL_SCOPES if scope in chosen]
