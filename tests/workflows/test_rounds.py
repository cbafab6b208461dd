"""The round types: four eyes, any/all members, the automatic check, deadlines."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from wagtail.models import TaskState, Workflow, WorkflowState, WorkflowTask

from cms.models import Post, Variant
from tests.factories import PostFactory, UserFactory
from tests.forms import post_form_data
from workflows import roles
from workflows.models import (
    AtDeadline,
    Decision,
    Notification,
    PolicyRound,
    Quorum,
    RoleRound,
    RoundState,
    round_decide,
)
from workflows.services import rounds_watch

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(roles_people):
    return roles_people


@pytest.fixture
def author(people):
    return people[roles.COMMUNITY_MANAGER.key]


@pytest.fixture
def director(people):
    return people[roles.DIRECTOR.key]


def circuit(name, *tasks):
    workflow = Workflow.objects.create(name=name)
    for order, task in enumerate(tasks):
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=order)
    return workflow


def director_round(**fields):
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=roles.DIRECTOR.group_name)
    return RoleRound.objects.create(name=fields.pop("name", "Direction"), group=group, **fields)


def started(author, workflow=None, **post_fields):
    post = PostFactory(created_by=author, approval_workflow=workflow, **post_fields)
    post.save_revision(user=author)
    (workflow or post.get_workflow()).start(post, author)
    return Post.objects.get(pk=post.pk)


def current_round(post):
    return Post.objects.get(pk=post.pk).current_workflow_task_state.specific


# -- Four eyes ---------------------------------------------------------------------------


def test_author_in_the_director_group_cannot_approve_own_post_by_the_service(people, director):
    director.groups.add(*people[roles.COMMUNITY_MANAGER.key].groups.all())
    post = started(director)

    with pytest.raises(PermissionDenied) as refused:
        round_decide(task_state=current_round(post), verdict="approve", user=director)

    assert "(four eyes)" in str(refused.value) or gettext(
        "You wrote this version or submitted it: someone else must approve it (four eyes)."
    ) == str(refused.value)
    assert not Post.objects.get(pk=post.pk).live
    assert not Decision.objects.filter(user=director).exists()


def test_author_in_the_director_group_cannot_approve_from_the_action_view(client, people, director):
    director.groups.add(*people[roles.COMMUNITY_MANAGER.key].groups.all())
    post = started(director)
    task_state = current_round(post)
    client.force_login(director)

    response = client.post(
        reverse(
            "wagtailsnippets_cms_post:workflow_action", args=[post.pk, "approve", task_state.pk]
        ),
        {"comment": ""},
    )

    # Wagtail's admin answers a refused action by going back home with a message.
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    assert not Post.objects.get(pk=post.pk).live
    assert not Decision.objects.filter(user=director).exists()


def test_author_in_the_director_group_cannot_approve_from_the_editor(client, people, director):
    director.groups.add(*people[roles.COMMUNITY_MANAGER.key].groups.all())
    post = started(director)
    client.force_login(director)

    approve_url = b'data-workflow-action-name="approve"'
    edit = client.get(reverse("wagtailsnippets_cms_post:edit", args=[post.pk]))
    # The editor offers the author no approval of their own post, as it does to others...
    assert approve_url not in edit.content
    client.force_login(UserFactory(role=roles.DIRECTOR))
    assert approve_url in client.get(edit.request["PATH_INFO"]).content
    client.force_login(director)
    # ... and a forged "approve" action from the editor does nothing.
    client.post(
        reverse("wagtailsnippets_cms_post:edit", args=[post.pk]),
        post_form_data(
            title=post.title,
            text=post.text,
            **{"action-workflow-action": "1", "workflow-action-name": "approve"},
        ),
    )
    assert not Post.objects.get(pk=post.pk).live
    assert current_round(post).status == TaskState.STATUS_IN_PROGRESS


def test_another_director_approves_the_directors_post(people, director):
    other = UserFactory(role=roles.DIRECTOR)
    post = started(director)

    round_decide(task_state=current_round(post), verdict="approve", user=other, comment="OK")

    assert Post.objects.get(pk=post.pk).live
    decision = Decision.objects.get(verdict="approve", via="admin")
    assert decision.user == other and decision.comment == "OK"


def test_the_director_round_is_not_waiting_for_its_author(people, director):
    post = started(director)
    task = current_round(post).task.specific

    assert not task.get_task_states_user_can_moderate(director).exists()
    other = UserFactory(role=roles.DIRECTOR)
    assert list(task.get_task_states_user_can_moderate(other)) == [
        TaskState.objects.get(pk=current_round(post).pk)
    ]


def test_someone_outside_the_round_cannot_decide(people, author):
    post = started(author)

    with pytest.raises(PermissionDenied):
        round_decide(
            task_state=current_round(post),
            verdict="approve",
            user=people[roles.MODERATOR.key],
        )


# -- Any one member, all members ----------------------------------------------------------


def test_any_one_member_is_enough(author, director):
    UserFactory(role=roles.DIRECTOR)
    workflow = circuit("Any", director_round(quorum=Quorum.ANY))
    post = started(author, workflow)

    round_decide(task_state=current_round(post), verdict="approve", user=director)

    assert Post.objects.get(pk=post.pk).live


def test_all_members_need_every_member(author, director):
    second = UserFactory(role=roles.DIRECTOR)
    workflow = circuit("All", director_round(quorum=Quorum.ALL))
    post = started(author, workflow)

    round_decide(task_state=current_round(post), verdict="approve", user=director)

    assert not Post.objects.get(pk=post.pk).live
    assert current_round(post).status == TaskState.STATUS_IN_PROGRESS
    with pytest.raises(PermissionDenied):  # one decision per person
        round_decide(task_state=current_round(post), verdict="approve", user=director)

    round_decide(task_state=current_round(post), verdict="approve", user=second)

    assert Post.objects.get(pk=post.pk).live
    assert Decision.objects.filter(verdict="approve", via="admin").count() == 2


def test_all_members_does_not_wait_for_the_author_who_is_a_member(director):
    second = UserFactory(role=roles.DIRECTOR)
    workflow = circuit("All", director_round(quorum=Quorum.ALL))
    post = started(director, workflow)

    round_decide(task_state=current_round(post), verdict="approve", user=second)

    assert Post.objects.get(pk=post.pk).live


def test_one_refusal_in_an_all_members_round_sends_the_post_back(author, director):
    second = UserFactory(role=roles.DIRECTOR)
    workflow = circuit("All", director_round(quorum=Quorum.ALL))
    post = started(author, workflow)
    round_decide(task_state=current_round(post), verdict="approve", user=director)

    round_decide(
        task_state=current_round(post), verdict="reject", user=second, comment="Le lien est mort."
    )

    post = Post.objects.get(pk=post.pk)
    assert post.approval_status.code == "sent_back"
    assert post.current_workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES
    sent_back = Notification.objects.get(recipient=author, kind="changes_requested")
    assert sent_back.comment == "Le lien est mort."


# -- The automatic check -----------------------------------------------------------------


def policy_circuit():
    return circuit("Contrôle", PolicyRound.objects.create(name="Contrôle"), director_round())


def test_the_policy_round_sends_back_a_post_with_a_blocking_problem(author, five_accounts):
    post = PostFactory(created_by=author, approval_workflow=policy_circuit())
    post.variants = [Variant(account=five_accounts["x"], text="Trop long. " * 40)]
    post.save()
    post.save_revision(user=author)

    post.get_workflow().start(post, author)

    post = Post.objects.get(pk=post.pk)
    assert post.approval_status.code == "sent_back"
    check = TaskState.objects.get(task__name="Contrôle")
    assert check.status == TaskState.STATUS_REJECTED
    assert "X" in check.comment and "280" in check.comment
    decision = Decision.objects.get(via="automatic")
    assert decision.verdict == "reject" and decision.comment == check.comment
    assert Notification.objects.filter(recipient=author, kind="changes_requested").exists()


def test_the_policy_round_lets_a_clean_post_through_to_the_next_round(author, five_accounts):
    post = PostFactory(created_by=author, approval_workflow=policy_circuit())
    post.variants = [Variant(account=five_accounts["x"], text="Conseil municipal ce soir.")]
    post.save()
    post.save_revision(user=author)

    post.get_workflow().start(post, author)

    post = Post.objects.get(pk=post.pk)
    assert post.approval_status.code == "in_round"
    assert post.current_workflow_task.name == "Direction"
    assert Decision.objects.get(via="automatic").verdict == "approve"


def test_the_policy_round_refuses_a_planned_time_in_a_blocked_period(author):
    from policies.models import Period

    now = timezone.now()
    Period.objects.create(
        name="Réserve", kind="reserve", starts_at=now, ends_at=now + timedelta(days=10)
    )
    post = started(author, policy_circuit(), planned_at=now + timedelta(days=2))

    assert Post.objects.get(pk=post.pk).approval_status.code == "sent_back"
    assert "Réserve" in Decision.objects.get(via="automatic").comment


def test_the_standard_circuit_starts_with_the_automatic_check(author):
    post = started(author)

    decisions = list(Decision.objects.all())
    assert [d.via for d in decisions] == ["automatic"]
    assert post.current_workflow_task.name == roles.DIRECTOR_ROUND.name


# -- Deadlines ---------------------------------------------------------------------------


def test_a_reminder_goes_to_the_approvers_before_the_deadline(author, director):
    workflow = circuit("Délai", director_round(deadline_hours=24, reminder_hours=4))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        post = started(author, workflow)
    task_state = current_round(post)
    assert task_state.deadline == task_state.started_at + timedelta(hours=24)

    with time_machine.travel(start + timedelta(hours=19), tick=False):
        assert rounds_watch()["reminded"] == 0
    with time_machine.travel(start + timedelta(hours=20, minutes=1), tick=False):
        assert rounds_watch()["reminded"] == 1
        assert rounds_watch()["reminded"] == 0  # once

    reminders = Notification.objects.filter(kind="reminder")
    assert [n.recipient for n in reminders] == [director]
    assert Post.objects.get(pk=post.pk).approval_status.code == "in_round"


def test_at_the_deadline_the_post_is_sent_back(author, director):
    workflow = circuit("Délai", director_round(deadline_hours=24))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        post = started(author, workflow)

    with time_machine.travel(start + timedelta(hours=24, minutes=1), tick=False):
        counts = rounds_watch()

    assert counts["sent_back"] == 1
    post = Post.objects.get(pk=post.pk)
    assert post.approval_status.code == "sent_back"
    assert Decision.objects.get(via="deadline").verdict == "reject"
    assert Notification.objects.filter(recipient=author, kind="deadline_passed").exists()
    with pytest.raises(PermissionDenied):
        round_decide(task_state=RoundState.objects.get(), verdict="approve", user=director)


def test_at_the_deadline_another_group_may_decide(people, author, director):
    from django.contrib.auth.models import Group

    crisis = people[roles.CRISIS_CELL.key]
    workflow = circuit(
        "Escalade",
        director_round(
            deadline_hours=2,
            at_deadline=AtDeadline.ESCALATE,
            escalate_to=Group.objects.get(name=roles.CRISIS_CELL.group_name),
        ),
    )
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        post = started(author, workflow)
    with pytest.raises(PermissionDenied):  # not before the deadline
        round_decide(task_state=current_round(post), verdict="approve", user=crisis)

    with time_machine.travel(start + timedelta(hours=2, minutes=1), tick=False):
        assert rounds_watch()["escalated"] == 1
        assert rounds_watch()["escalated"] == 0

    task_state = current_round(post)
    assert task_state.escalated_to.name == roles.CRISIS_CELL.group_name
    assert Notification.objects.filter(recipient=crisis, kind="deadline_passed").exists()
    assert Notification.objects.filter(recipient=author, kind="deadline_passed").exists()
    task = task_state.task.specific
    assert task.get_task_states_user_can_moderate(crisis).exists()

    round_decide(task_state=task_state, verdict="approve", user=crisis, comment="Urgent, validé.")

    assert Post.objects.get(pk=post.pk).live


def test_rounds_watch_is_a_beat_task():
    from django.conf import settings

    from workflows.tasks import rounds_watch_task

    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert rounds_watch_task.name in schedule


# -- The crisis fast track -----------------------------------------------------------------


def test_the_fast_track_is_one_round_any_one_crisis_member(people):
    workflow = Workflow.objects.get(name=roles.FAST_TRACK.name)
    tasks = [wt.task.specific for wt in workflow.workflow_tasks.all()]
    assert len(tasks) == 1
    assert isinstance(tasks[0], RoleRound)
    assert tasks[0].group.name == roles.CRISIS_CELL.group_name
    assert tasks[0].quorum == Quorum.ANY

    claire = people[roles.CRISIS_CELL.key]
    second = UserFactory(role=roles.CRISIS_CELL)
    post = started(claire, workflow)
    round_decide(task_state=current_round(post), verdict="approve", user=second)
    assert Post.objects.get(pk=post.pk).live


def test_the_fast_track_is_not_offered_to_a_community_manager(client, author, people):
    workflow = Workflow.objects.get(name=roles.FAST_TRACK.name)
    post = PostFactory(created_by=author)
    post.save_revision(user=author)
    client.force_login(author)
    url = reverse("wagtailsnippets_cms_post:edit", args=[post.pk])

    assert f'value="{workflow.pk}"'.encode() not in client.get(url).content
    response = client.post(
        url, post_form_data(title=post.title, text=post.text, approval_workflow=workflow.pk)
    )

    assert response.status_code == 200  # the form comes back with the error, text kept
    assert post.text.encode() in response.content
    assert Post.objects.get(pk=post.pk).approval_workflow is None

    client.force_login(people[roles.CRISIS_CELL.key])
    assert f'value="{workflow.pk}"'.encode() in client.get(url).content


def test_a_resubmitted_version_is_checked_again_before_its_round(author, director, five_accounts):
    post = PostFactory(created_by=author)
    post.variants = [Variant(account=five_accounts["x"], text="Conseil municipal ce soir.")]
    post.save()
    post.save_revision(user=author)
    post.get_workflow().start(post, author)
    round_decide(
        task_state=current_round(post), verdict="reject", user=director, comment="Ajoutez l'heure."
    )
    post = Post.objects.get(pk=post.pk)
    [variant] = post.variants.all()
    variant.text = "Conseil municipal ce soir à 19 h. " * 12
    post.variants = [variant]
    post.save_revision(user=author)

    post.current_workflow_state.resume(user=author)

    post = Post.objects.get(pk=post.pk)
    assert post.approval_status.code == "sent_back"
    refused = Decision.objects.filter(via="automatic").latest("at")
    assert refused.verdict == "reject" and "280" in refused.comment
    assert refused.revision_id == post.latest_revision_id

    [variant] = post.variants.all()
    variant.text = "Conseil municipal ce soir à 19 h."
    post.variants = [variant]
    post.save_revision(user=author)
    post.current_workflow_state.resume(user=author)

    post = Post.objects.get(pk=post.pk)
    assert post.approval_status.code == "in_round"
    round_decide(task_state=current_round(post), verdict="approve", user=director)
    assert Post.objects.get(pk=post.pk).live


# -- Administrators configure the rounds in Wagtail's workflow editor -----------------------


def test_the_task_editor_offers_crieurs_rounds_only(client, people):
    client.force_login(people[roles.ADMINISTRATOR.key])

    page = client.get(reverse("wagtailadmin_workflows:select_task_type")).content.decode()

    for model in ("roleround", "externalround", "policyround"):
        assert f"/workflows/{model}/" in page
    assert "groupapprovaltask" not in page


def test_an_administrator_creates_an_all_members_round_with_a_deadline(client, people):
    from django.contrib.auth.models import Group

    client.force_login(people[roles.ADMINISTRATOR.key])
    directors = Group.objects.get(name=roles.DIRECTOR.group_name)
    crisis = Group.objects.get(name=roles.CRISIS_CELL.group_name)

    response = client.post(
        reverse("wagtailadmin_workflows:add_task", args=["workflows", "roleround"]),
        {
            "name": "Double validation",
            "group": directors.pk,
            "quorum": "all",
            "deadline_hours": "24",
            "reminder_hours": "6",
            "at_deadline": "escalate",
            "escalate_to": crisis.pk,
        },
    )

    assert response.status_code == 302, response.content[:3000]
    task = RoleRound.objects.get(name="Double validation")
    assert (task.group, task.quorum, task.deadline_hours, task.escalate_to) == (
        directors,
        Quorum.ALL,
        24,
        crisis,
    )
