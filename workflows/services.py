"""Changing approval state: the roles and default circuits every installation starts with."""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    Workflow,
    WorkflowContentType,
    WorkflowTask,
)
from wagtail.snippets.models import create_extra_permissions

from .roles import CIRCUITS, ROLES, Role


def _permissions(names, *, using: str) -> list[Permission]:
    found = []
    for name in sorted(names):
        app_label, codename = name.split(".", 1)
        permission = (
            Permission.objects.using(using)
            .filter(content_type__app_label=app_label, codename=codename)
            .first()
        )
        if permission is None:
            raise LookupError(f"The permission {name} does not exist: fix workflows/roles.py.")
        found.append(permission)
    return found


def _role_group(role: Role, *, using: str) -> Group:
    group, created = Group.objects.using(using).get_or_create(name=role.group_name)
    wanted = _permissions(role.permissions, using=using)
    if created:
        group.permissions.set(wanted)
    else:
        # Keep what an administrator added; add what a new version of Crieur needs.
        group.permissions.add(*wanted)
    # Wagtail's migrations create the root collection; a flushed database has none.
    root = Collection.get_first_root_node() or Collection.add_root(name="Root")
    for permission in _permissions(role.collection_permissions, using=using):
        GroupCollectionPermission.objects.using(using).get_or_create(
            group=group, collection=root, permission=permission
        )
    return group


def roles_bootstrap(*, using: str = "default") -> None:
    """Create the roles and the Standard and Sensitive circuits; safe to run again.

    Runs after every migrate, so a fresh database has them and an upgraded one gets
    what a new version adds, without undoing what administrators changed.
    """
    # Permissions are created app by app after migrate; make sure all exist first.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    # Wagtail adds the publish/lock/unlock permissions of snippets in its own handler.
    create_extra_permissions(apps.get_app_config("wagtailsnippets"), using=using)

    with transaction.atomic(using=using):
        groups = {role.key: _role_group(role, using=using) for role in ROLES}
        post_type = ContentType.objects.db_manager(using).get_by_natural_key("cms", "post")
        for circuit in CIRCUITS:
            workflow, created = Workflow.objects.using(using).get_or_create(
                name=circuit.name, defaults={"active": True}
            )
            if created:
                for order, round_ in enumerate(circuit.rounds):
                    task = GroupApprovalTask.objects.using(using).filter(name=round_.name).first()
                    if task is None:
                        task = GroupApprovalTask.objects.using(using).create(name=round_.name)
                        task.groups.set([groups[round_.role.key]])
                    WorkflowTask.objects.using(using).create(
                        workflow=workflow, task=task, sort_order=order
                    )
            if circuit.default_for_posts:
                WorkflowContentType.objects.using(using).get_or_create(
                    content_type=post_type, defaults={"workflow": workflow}
                )


def approved_revision_publish(*, workflow_state, user=None) -> None:
    """The revision the last round approved becomes the post's approved revision.

    Approvers are not publishers (nobody holds cms.publish_post): finishing the circuit
    is the authority, so the circuit replaces the permission check. It is the revision
    the rounds looked at that is marked approved, not whatever is newest.
    """
    revision = workflow_state.current_task_state.revision
    revision.publish(user=user, skip_permission_checks=True)
