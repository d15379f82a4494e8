"""`python manage.py seed_demo [--events N] [--orgs N] [--users N] [--if-empty]`."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from audit import demo


class Command(BaseCommand):
    help = "Build realistic demo data: orgs on each plan, members with roles, events."

    def add_arguments(self, parser):
        parser.add_argument(
            "--events", type=int, default=5000, help="Synthetic events to add."
        )
        parser.add_argument(
            "--orgs", type=int, default=len(demo.CORE_ORGS), help="Orgs in all."
        )
        parser.add_argument("--users", type=int, default=40, help="Users in all.")
        parser.add_argument("--seed", type=int, default=42, help="Random seed.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the demo is already there.",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Hide the progress bar."
        )

    def handle(
        self, *args, events, orgs, users, seed, if_empty, no_progress, **options
    ):
        if if_empty and demo.demo_is_seeded():
            self.stdout.write("Demo data already present; nothing to do.")
        else:
            with tqdm(
                total=events, unit="events", disable=no_progress, file=self.stderr._out
            ) as bar:
                result = demo.seed_demo(
                    events=events,
                    orgs=orgs,
                    users=users,
                    seed=seed,
                    progress=bar.update,
                    stage=bar.set_description,
                )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded {result.events} events across {result.orgs} orgs "
                    f"and {result.users} users."
                )
            )
        self.stdout.write(
            f"Staff login (admin):   {demo.STAFF_EMAIL} / {demo.STAFF_PASSWORD}\n"
            f"Org member login:      {demo.MEMBER_EMAIL} / {demo.MEMBER_PASSWORD}\n"
            f"Member without access: {demo.VIEWER_WITHOUT_PERMISSION_EMAIL} / "
            f"{demo.MEMBER_PASSWORD}"
        )
