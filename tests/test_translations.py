"""French first: the French catalogue is complete, and the compiled one matches it."""

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_every_french_entry_is_translated_and_none_is_fuzzy():
    catalogue = polib.pofile(str(PO))
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert missing == [] and fuzzy == [], "run makemessages, translate, compilemessages"


def test_the_compiled_catalogue_is_up_to_date():
    compiled = gettext.GNUTranslations(MO.open("rb"))
    for entry in polib.pofile(str(PO)).translated_entries():
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif entry.msgctxt:
            assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_every_string_in_the_code_is_in_the_french_catalogue(tmp_path):
    """Extract the strings as makemessages does, into a scratch copy, and compare."""
    if shutil.which("xgettext") is None:
        message = "GNU gettext (xgettext) is needed: apt-get install gettext"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    base = Path(settings.BASE_DIR)
    # Crieur's own packages: the project and every app that lives in this checkout.
    ours = {"crieur"} | {
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(base.resolve())
    }
    for app in sorted(ours):
        (tmp_path / app).symlink_to(base / app)
    (tmp_path / "locale" / "fr" / "LC_MESSAGES").mkdir(parents=True)
    # makemessages writes into LOCALE_PATHS: point it at the scratch copy, never the real one.
    scratch_locale = str(tmp_path / "locale")
    (tmp_path / "scratch_settings.py").write_text(
        f"from crieur.settings.test import *  # noqa\nLOCALE_PATHS = [{scratch_locale!r}]\n"
    )
    subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [
            sys.executable,
            str(base / "manage.py"),
            "makemessages",
            "-l",
            "fr",
            "--symlinks",
            "--no-location",
            "-v",
            "0",
        ],
        cwd=tmp_path,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "scratch_settings",
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(base)]),
        },
        check=True,
    )
    extracted = {e.msgid for e in polib.pofile(str(tmp_path / "locale/fr/LC_MESSAGES/django.po"))}
    catalogued = {e.msgid for e in polib.pofile(str(PO)) if not e.obsolete}
    assert sorted(extracted - catalogued) == [], "run makemessages -l fr and translate"
