"""Dates and names in French words: « 1er décembre », « au nom d'Élise Petit »
(cms.words, used by the notifications, the approval trail, the dashboard and the
external approval pages)."""

from datetime import date

import pytest
import time_machine
from django.utils import timezone, translation

from cms.words import date_words, elide_de
from tests.factories import PostFactory, UserFactory
from workflows.models import Notification
from workflows.notifications import notification_message, notify

FIRST = timezone.make_aware(timezone.datetime(2026, 12, 1, 10, 0))
SECOND = timezone.make_aware(timezone.datetime(2026, 12, 2, 10, 0))


def french(fn, *args):
    with translation.override("fr"):
        return fn(*args)


def test_the_first_of_the_month_is_1er_in_french():
    assert french(date_words, FIRST) == "1er décembre 2026 10:00"
    assert french(date_words, date(2027, 1, 1), "DATE_FORMAT") == "1er janvier 2027"
    assert french(date_words, date(2027, 1, 1), "l j F") == "vendredi 1er janvier"


def test_other_days_and_other_languages_keep_their_number():
    assert french(date_words, SECOND) == "2 décembre 2026 10:00"
    with translation.override("en"):
        assert "1er" not in date_words(FIRST) and "1" in date_words(FIRST)


def test_short_numeric_dates_are_unchanged():
    assert french(date_words, FIRST, "SHORT_DATETIME_FORMAT") == "01/12/2026 10:00"


def test_an_escaped_j_in_a_format_is_left_alone():
    assert french(date_words, date(2027, 1, 1), r"\j j") == "j 1er"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Élise Petit", "au nom d'Élise Petit"),
        ("Anne Roux", "au nom d'Anne Roux"),
        ("Hélène Blanc", "au nom d'Hélène Blanc"),
        ("Yves Morel", "au nom d'Yves Morel"),
        ("Yann Le Gall", "au nom de Yann Le Gall"),
        ("Jean Martin", "au nom de Jean Martin"),
    ],
)
def test_de_is_elided_before_a_vowel_or_a_mute_h(name, expected):
    assert french(elide_de, f"au nom de {name}", name) == expected


def test_no_elision_in_english():
    with translation.override("en"):
        assert elide_de("on behalf of Élise Petit", "Élise Petit") == "on behalf of Élise Petit"


@pytest.mark.django_db
def test_a_notification_s_deadline_on_the_first_reads_1er(django_capture_on_commit_callbacks):
    with time_machine.travel(FIRST, tick=False):
        [notification] = notify(
            kind=Notification.Kind.SUBMITTED,
            recipients=[UserFactory()],
            post=PostFactory(),
            round_name="Validation par la direction",
            deadline=FIRST,
        )

    assert "1er décembre 2026 10:00" in french(notification_message, notification)
