"""Re-encrypt network credentials with the first key of CRIEUR_CREDENTIALS_KEYS."""

from django.core.management.base import BaseCommand

from networks.services import credentials_key_rotate


class Command(BaseCommand):
    help = (
        "Put the new Fernet key first in CRIEUR_CREDENTIALS_KEYS (keep the old one after it), "
        "run this, then remove the old key."
    )

    def handle(self, *args, **options):
        count = credentials_key_rotate()
        self.stdout.write(self.style.SUCCESS(f"{count} account(s) re-encrypted with the new key."))
