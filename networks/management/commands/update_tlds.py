"""Regenerate the top-level domains X turns into links, from IANA's published list.

    manage.py update_tlds                      # reads IANA's list over the network
    manage.py update_tlds /path/to/tlds-alpha-by-domain.txt

The list is written to networks/data/tlds.txt, one domain a line, lower case,
internationalised ones in Unicode (as they are written in posts): commit the change.
"""

import codecs
import re
from pathlib import Path
from urllib.request import urlopen

from django.core.management.base import BaseCommand, CommandError

# The file networks/text.py reads.
TLDS_FILE = Path(__file__).resolve().parents[2] / "networks" / "data" / "tlds.txt"
IANA_URL = "https://data.iana.org/TLD/tlds-alpha-by-domain.txt"
LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def parse_iana_list(text: str) -> tuple[str, list[str]]:
    """IANA's list (a "# Version …" line, then one domain a line in upper case) as its
    version line and the domains in lower case, internationalised ones decoded."""
    version = ""
    domains = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            version = version or line.lstrip("# ")
            continue
        label = line.lower()
        if not LABEL_RE.fullmatch(label):
            raise CommandError(f"Line {number} is not a top-level domain: {line!r}")
        if label.startswith("xn--"):
            try:
                label = codecs.decode(label[4:], "punycode")
            except UnicodeError as error:
                raise CommandError(f"Line {number} is not valid punycode: {line!r}") from error
        domains.append(label)
    if not domains:
        raise CommandError("The list holds no top-level domain.")
    return version, domains


class Command(BaseCommand):
    help = (
        "Regenerate the top-level domains X turns into links from IANA's list "
        "(a file path or a URL; IANA's own address by default)."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", nargs="?", default=IANA_URL, help="A file path or URL.")
        parser.add_argument("--output", default=str(TLDS_FILE), help="Where to write the list.")

    def handle(self, *args, source, output, **options):
        version, domains = parse_iana_list(self._read(source))
        lines = [
            "# Top-level domains, from IANA's tlds-alpha-by-domain.txt "
            f"({version or 'unversioned'}).",
            "# Regenerate with `manage.py update_tlds`; internationalised ones in Unicode.",
            *domains,
        ]
        Path(output).write_text("\n".join(lines) + "\n", encoding="utf-8")
        written = f"{len(domains)} top-level domains written to {output}."
        self.stdout.write(self.style.SUCCESS(written))

    def _read(self, source: str) -> str:
        try:
            if source.startswith(("https://", "http://")):
                with urlopen(source, timeout=30) as response:  # noqa: S310 (http(s) only)
                    return response.read().decode("utf-8")
            return Path(source).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot read {source}: {error}") from error
