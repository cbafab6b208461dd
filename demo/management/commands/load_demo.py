"""Load the demo data (idempotent) and print who can log in."""

from django.core.management.base import BaseCommand

from demo.loader import DEMO_PASSWORD, PEOPLE, demo_load


class Command(BaseCommand):
    help = "Load the demo institution, people, campaign and posts (safe to run twice)."

    def handle(self, *args, **options):
        demo_load()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in at /admin/ as:"))
        for person in PEOPLE:
            self.stdout.write(
                f"  {person.username:<10} {person.role.group_name:<32} password: {DEMO_PASSWORD}"
            )
