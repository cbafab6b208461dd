"""Admin forms for posts: the checks that look at a post, its images and versions together."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.forms import WagtailAdminModelForm

from . import extensions
from .models import MAX_POST_IMAGES


def kept_forms(formset):
    return [
        form
        for form in formset.forms
        if form.has_changed() and not formset._should_delete_form(form)
    ]


class PostForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("approval_workflow")
        if field is not None and self.for_user is not None:
            # A reserved circuit (the crisis fast track) is not offered to others; the one
            # already on the post stays listed so that nothing changes behind their back.
            refused = [
                w.pk
                for w in field.queryset
                if extensions.circuit_refused(user=self.for_user, workflow=w)
                and w.pk != self.instance.approval_workflow_id
            ]
            field.queryset = field.queryset.exclude(pk__in=refused)

    def clean(self):
        cleaned_data = super().clean()
        self._check_images(cleaned_data)
        self._refuse_two_versions_for_one_account()
        self._refuse_reserved_circuit(cleaned_data)
        return cleaned_data

    def _refuse_reserved_circuit(self, cleaned_data) -> None:
        workflow = cleaned_data.get("approval_workflow")
        if (
            workflow is not None
            and self.for_user is not None
            and workflow.pk != self.instance.approval_workflow_id
            and extensions.circuit_refused(user=self.for_user, workflow=workflow)
        ):
            self.add_error(
                "approval_workflow",
                _(
                    "The circuit “%(name)s” is reserved to the crisis cell: choose another "
                    "circuit, or ask the crisis cell to send this post."
                )
                % {"name": workflow.name},
            )

    def _check_images(self, cleaned_data) -> None:
        images = self.formsets.get("images")
        if images is None or not images.is_valid():
            return
        kept = kept_forms(images)
        if len(kept) > MAX_POST_IMAGES:
            raise forms.ValidationError(
                ngettext(
                    "A post holds at most %(max)d image; remove %(extra)d.",
                    "A post holds at most %(max)d images; remove %(extra)d.",
                    MAX_POST_IMAGES,
                )
                % {"max": MAX_POST_IMAGES, "extra": len(kept) - MAX_POST_IMAGES}
            )
        if kept and cleaned_data.get("document"):
            self.add_error(
                "document",
                _(
                    "A post carries either images or one video or document, not both: "
                    "remove the images or clear this field."
                ),
            )

    def _refuse_two_versions_for_one_account(self) -> None:
        variants = self.formsets.get("variants")
        if variants is None:
            return
        # Django's own duplicate check makes the formset invalid with a vague message;
        # name the account and the fix on the field itself.
        variants.is_valid()
        seen = set()
        for form in kept_forms(variants):
            # Django's check drops the duplicate from cleaned_data; the instance still has it.
            account = form.instance.account if form.instance.account_id else None
            if account is None:
                continue
            if account.pk in seen:
                form.add_error(
                    "account",
                    _(
                        "%(account)s already has a version in this post: keep one and "
                        "remove the other."
                    )
                    % {"account": account},
                )
            seen.add(account.pk)
