"""The editor's « Submit to … » button names the circuit chosen in the form, before the
post is saved (the submission uses that circuit): the button carries every circuit's
label, and workflows/circuit_label.js shows the chosen one."""

import html
import json
import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from wagtail.models import Workflow

from cms.models import Post
from tests.factories import PostFactory
from workflows import roles
from workflows.models import round_decide

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(client, roles_people):
    person = roles_people[roles.COMMUNITY_MANAGER.key]
    client.force_login(person)
    return person


def submit_button(page: str) -> tuple[str, dict]:
    button = re.search(r'<button[^>]*name="action-submit"[^>]*>.*?</button>', page, re.S)
    assert button, "no submit button"
    labels = re.search(r'data-crieur-circuit-labels="([^"]*)"', button.group(0))
    return button.group(0), json.loads(html.unescape(labels.group(1)))


def submit_to(name):
    return gettext("Submit to %(workflow_name)s") % {"workflow_name": name}


def test_the_submit_button_knows_the_label_of_each_circuit(client, author):
    post = PostFactory(created_by=author)
    standard = Workflow.objects.get(name=roles.STANDARD.name)
    sensitive = Workflow.objects.get(name=roles.SENSITIVE.name)

    with translation.override("fr"):
        page = client.get(reverse("wagtailsnippets_cms_post:edit", args=[post.pk]))
        button, labels = submit_button(page.content.decode())
        assert labels[str(sensitive.pk)] == submit_to("Sensible")
        assert labels[str(standard.pk)] == submit_to("Standard")
        assert labels[""] == submit_to("Standard")  # no circuit chosen: the posts' default
    assert "data-crieur-circuit-label" in button
    assert "workflows/circuit_label.js" in page.content.decode()


def test_the_add_form_s_submit_button_knows_them_too(client, author):
    sensitive = Workflow.objects.get(name=roles.SENSITIVE.name)

    page = client.get(reverse("wagtailsnippets_cms_post:add")).content.decode()

    _button, labels = submit_button(page)
    assert labels[str(sensitive.pk)] == submit_to("Sensible")


def test_a_post_sent_back_is_resubmitted_to_its_round_or_submitted_to_another_circuit(
    client, author, roles_people
):
    post = PostFactory(created_by=author)
    post.save_revision(user=author)
    post.get_workflow().start(post, author)
    post = Post.objects.get(pk=post.pk)
    round_decide(
        task_state=post.current_workflow_task_state.specific,
        verdict="reject",
        comment="Trop long.",
        user=roles_people[roles.DIRECTOR.key],
    )
    standard = Workflow.objects.get(name=roles.STANDARD.name)
    sensitive = Workflow.objects.get(name=roles.SENSITIVE.name)

    page = client.get(reverse("wagtailsnippets_cms_post:edit", args=[post.pk])).content.decode()

    _button, labels = submit_button(page)
    assert labels[str(standard.pk)] == gettext("Resubmit to %(task_name)s") % {
        "task_name": roles.DIRECTOR_ROUND.name
    }
    assert labels[str(sensitive.pk)] == submit_to("Sensible")
