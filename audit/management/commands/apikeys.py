"""`python manage.py apikeys create NAME [--scope S ...] | list | revoke PREFIX`."""

from django.core.management.base import BaseCommand, CommandError

from audit.actors import Actor
from audit.apikeys import api_key_create, api_key_revoke
from audit.models import ApiKey
from audit.scopes import ALL_SCOPES


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


class Command(BaseCommand):
    help = "Create, list and revoke operator API keys."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser(
            "create", help="Create a key; prints it on the last line (shown once)."
        )
        create.add_argument("name", help="Who or what uses the key.")
        create.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            metavar="SCOPE",
            help=f"A scope the key holds (repeat for several): {', '.join(ALL_SCOPES)}."
            " Default: events:write only.",
        )
        commands.add_parser("list", help="Every key: prefix, name, dates.")
        revoke = commands.add_parser("revoke", help="Revoke the key with PREFIX.")
        revoke.add_argument("prefix", help="The visible prefix, e.g. as_k3x9q2mw.")

    def handle(self, *args, command, **options):
        getattr(self, f"handle_{command}")(**options)

    def handle_create(self, *, name, scopes=None, **options):
        try:
            api_key, raw_key = api_key_create(
                name=name, scopes=scopes, actor=Actor.system()
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            f"Created API key {api_key.prefix} ({api_key.name}) with scopes "
            f"{' '.join(api_key.scopes)}. Store it now: it is not shown again."
        )
        self.stdout.write(raw_key)

    def handle_list(self, **options):
        keys = ApiKey.objects.order_by("created_at")
        self.stdout.write(
            f"{'PREFIX':<12} {'STATUS':<8} {'CREATED':<19}  {'LAST USED':<19}  "
            "NAME  SCOPES"
        )
        for key in keys:
            status = "revoked" if key.revoked_at else "active"
            scopes = " ".join(key.scopes or [])
            if key.legacy_all_scopes:
                scopes = "legacy: all scopes"
            self.stdout.write(
                f"{key.prefix:<12} {status:<8} {_when(key.created_at):<19}  "
                f"{_when(key.last_used_at):<19}  {key.name}  [{scopes}]"
            )

    def handle_revoke(self, *, prefix, **options):
        api_key = ApiKey.objects.filter(prefix=prefix.strip()).first()
        if api_key is None:
            raise CommandError(f"No API key with prefix {prefix!r}.")
        if api_key.revoked_at:
            self.stdout.write(f"{api_key.prefix} was already revoked.")
            return
        api_key_revoke(api_key=api_key, actor=Actor.system())
        self.stdout.write(f"Revoked {api_key.prefix} ({api_key.name}).")
