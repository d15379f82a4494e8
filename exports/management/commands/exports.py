"""`python manage.py exports ...`: manage export locations (SPEC section 6)."""

import json
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from audit.services import Actor
from exports import services
from exports.models import ExportLocation

AUTH_TYPES = {
    "access-key": ExportLocation.AuthType.ACCESS_KEY,
    "assumed-role": ExportLocation.AuthType.ASSUMED_ROLE,
}


# config.json key -> location field (SPEC section 6; Immuta's names).
CONFIG_FIELDS = {
    "name": "name",
    "bucket": "bucket",
    "region": "region",
    "path": "path_prefix",
    "endpointUrl": "endpoint_url",
    "accessKeyId": "access_key_id",
    "roleArn": "role_arn",
    "interval": "interval",
    "format": "file_format",
    "categories": "categories",
    "eventTypes": "event_types",
    "orgs": "orgs",
}
FIELD_KEYS = {field: key for key, field in CONFIG_FIELDS.items()}
FIELD_KEYS["secret_access_key"] = "secretAccessKey"
# HTTP destinations (SPEC section 8): their config keys -> fields, the key
# holding the secret, and the keys that go to destination_options.
HTTP_DESTINATIONS = ("datadog", "splunk", "webhook")
HTTP_FIELDS = {
    "name": "name",
    "endpointUrl": "endpoint_url",
    "interval": "interval",
    "categories": "categories",
    "eventTypes": "event_types",
    "orgs": "orgs",
}
HTTP_SECRET_KEYS = {"datadog": "apiKey", "splunk": "token", "webhook": "secret"}
HTTP_OPTION_KEYS = {
    "datadog": ("service", "tags", "hostname", "site"),
    "splunk": ("index", "source", "sourcetype"),
    "webhook": (),
}


def _config_message(exc: ValidationError, destination: str = "s3") -> str:
    """The service's errors as one line, named as config.json names them."""
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    names = dict(FIELD_KEYS)
    if destination in HTTP_SECRET_KEYS:
        names["destination_secret"] = HTTP_SECRET_KEYS[destination]
    return "; ".join(
        f"{names.get(field, field)}: {' '.join(messages)}"
        for field, messages in exc.message_dict.items()
    )


def _location(location_id: str) -> ExportLocation:
    try:
        return ExportLocation.objects.get(pk=location_id)
    except (ExportLocation.DoesNotExist, ValueError, Exception) as exc:
        raise CommandError(f"no export location {location_id}") from exc


class Command(BaseCommand):
    help = (
        "Create, list, verify, run, replay and delete export locations (S3, "
        "Datadog, Splunk HEC, webhooks), and write S3 locations' due digests. "
        "Runs, objects and digests are read-only."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create from a config.json")
        create.add_argument(
            "--auth", choices=sorted(AUTH_TYPES), help="S3: how to authenticate"
        )
        create.add_argument(
            "--destination",
            choices=["s3", *HTTP_DESTINATIONS],
            default="s3",
            help="where to deliver (default s3, which needs --auth)",
        )
        create.add_argument("config", help="path to config.json")
        listing = sub.add_parser("list", help="list locations")
        listing.add_argument("--json", action="store_true")
        for name in ("verify", "run", "delete", "digest"):
            sub.add_parser(name).add_argument("id")
        replay = sub.add_parser("replay", help="re-send objects from a date")
        replay.add_argument("id")
        replay.add_argument("--from", dest="since", required=True)

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _create(self, *, auth, config, destination="s3", **_):
        try:
            with open(config) as handle:
                data = json.load(handle)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {config}: {exc}") from None
        if not isinstance(data, dict):
            raise CommandError(f"{config} must hold a JSON object")
        if destination != "s3":
            if auth:
                raise CommandError(f"--auth is for S3 locations, not {destination}")
            self._create_http(destination, data)
            return
        if not auth:
            raise CommandError("an S3 location needs --auth access-key|assumed-role")
        auth_type = AUTH_TYPES[auth]
        fields = {
            field: data[key] for key, field in CONFIG_FIELDS.items() if key in data
        }
        fields.setdefault("interval", "")
        fields.setdefault("bucket", "")
        try:
            location = services.export_location_create(
                actor=Actor.system(),
                auth_type=auth_type,
                secret_access_key=data.get("secretAccessKey", ""),
                **fields,
            )
        except ValidationError as exc:
            raise CommandError(_config_message(exc)) from None
        self.stdout.write(f"{location.pk} {location.connection_status}")
        if auth_type == ExportLocation.AuthType.ASSUMED_ROLE:
            self.stdout.write("Trust policy (ExternalId is the location id):")
            policy = services.trust_policy_for(location)
            self.stdout.write(json.dumps(policy, indent=2))
        self.stdout.write("Minimal bucket policy:")
        policy = services.bucket_policy_for(location)
        self.stdout.write(json.dumps(policy, indent=2))

    def _create_http(self, destination: str, data: dict) -> None:
        """A Datadog, Splunk or webhook location from its config.json keys."""
        secret_key = HTTP_SECRET_KEYS[destination]
        option_keys = HTTP_OPTION_KEYS[destination]
        unknown = sorted(set(data) - set(HTTP_FIELDS) - set(option_keys) - {secret_key})
        if unknown:
            allowed = sorted([*HTTP_FIELDS, *option_keys, secret_key])
            raise CommandError(
                f"unknown key {', '.join(unknown)} for {destination} "
                f"(allowed: {', '.join(allowed)})"
            )
        fields = {field: data[key] for key, field in HTTP_FIELDS.items() if key in data}
        fields.setdefault("interval", "")
        options = {key: data[key] for key in option_keys if key in data}
        try:
            location = services.export_location_create(
                actor=Actor.system(),
                destination=destination,
                destination_options=options,
                destination_secret=data.get(secret_key, ""),
                **fields,
            )
        except ValidationError as exc:
            raise CommandError(_config_message(exc, destination)) from None
        self.stdout.write(f"{location.pk} {location.connection_status}")

    def _list(self, *, json: bool = False, **_):
        import json as jsonlib

        rows = [
            {
                "id": str(loc.pk),
                "name": loc.name,
                "destination": loc.destination,
                "bucket": loc.bucket,
                "endpoint_url": loc.endpoint_url,
                "interval": loc.interval,
                "enabled": loc.enabled,
                "connection_status": loc.connection_status,
                "in_error": loc.in_error,
                "last_error": loc.last_error,
            }
            for loc in ExportLocation.objects.order_by("name", "id")
        ]
        if json:
            self.stdout.write(jsonlib.dumps(rows, indent=2))
            return
        self.stdout.write(
            "\t".join(
                ["id", "name", "destination", "target", "interval", "enabled"]
                + ["connection"]
            )
        )
        for row in rows:
            self.stdout.write(
                "\t".join(
                    [
                        row["id"],
                        row["name"],
                        row["destination"],
                        row["bucket"] or row["endpoint_url"] or "-",
                        row["interval"],
                        "enabled" if row["enabled"] else "disabled",
                        row["connection_status"] or "-",
                    ]
                )
            )

    def _verify(self, *, id, **_):
        status = services.export_location_verify(
            actor=Actor.system(), location=_location(id)
        )
        self.stdout.write(status)
        if status != "SUCCESS":
            raise CommandError(status)

    def _run(self, *, id, **_):
        location = _location(id)
        run = services.export_location_run(location_id=location.pk)
        if run is None:
            raise CommandError("another run holds this location (or it is disabled)")
        self.stdout.write(
            f"{run.status}: {run.events} events, {run.object_count} objects, "
            f"{run.bytes} bytes"
        )
        if run.status == run.Status.FAILED:
            raise CommandError(run.error)

    def _replay(self, *, id, since, **_):
        location = _location(id)
        count = services.export_location_replay(
            actor=Actor.system(), location=location, since=date.fromisoformat(since)
        )
        self.stdout.write(f"re-sending {count} objects")
        self._run(id=id)

    def _digest(self, *, id, **_):
        try:
            written = services.digest_write_all_due(location=_location(id))
        except Exception as exc:  # the destination refused: say so, no traceback
            raise CommandError(f"digest writing failed: {exc}") from None
        self.stdout.write(f"wrote {written} digests")

    def _delete(self, *, id, **_):
        services.export_location_delete(actor=Actor.system(), location=_location(id))
        self.stdout.write("deleted")
