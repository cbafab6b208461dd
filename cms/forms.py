"""Admin forms for posts: the checks that look at a post, its images and versions together,
and the composer's network versions (one form per account the post may go to)."""

from django import forms
from django.forms.formsets import DELETION_FIELD_NAME
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modelcluster.forms import BaseChildFormSet
from wagtail.admin.forms import WagtailAdminModelForm

from networks.limits import LIMITS
from networks.models import SocialAccount

from . import extensions
from .models import MAX_POST_IMAGES, Variant


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


class VariantForm(WagtailAdminModelForm):
    """One network version in the composer: its account is set by the composer, and its
    formats are those the account's network offers (the one saved stays listed, so that
    the author sees it and is told what to choose instead)."""

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.composer_account = account
        field = self.fields.get("format")
        if account is None or field is None:
            return
        labels = dict(Variant.Format.choices)
        current = self["format"].value()
        codes = list(LIMITS[account.network].formats)
        if current in labels and current not in codes:
            codes.append(current)
        field.choices = [(code, labels[code]) for code in codes]

    def has_changed(self):
        # An account the post does not go to is an unticked form of its own: it changes
        # nothing, so an approver's untouched form saves no revision.
        if getattr(self, "is_extra", False) and self.unticked():
            return False
        return super().has_changed()

    def unticked(self) -> bool:
        field = self.fields.get(DELETION_FIELD_NAME)
        return field is not None and bool(field.to_python(self[DELETION_FIELD_NAME].data))


class VariantFormSet(BaseChildFormSet):
    """The post's versions, then one unticked form per other account it may go to.

    Ticking an account in the composer keeps its form (DELETE empty); unticking it marks
    the form deleted. Every account's form is in the page from the start, so choosing
    accounts needs no form built in the browser.
    """

    def __init__(self, data=None, files=None, instance=None, queryset=None, **kwargs):
        super().__init__(data, files, instance=instance, queryset=queryset, **kwargs)
        if self.is_bound:
            self.extra_accounts = []
        else:
            # Every account a post may go to (those not disabled) that it does not yet.
            taken = {variant.account_id for variant in self.get_queryset()}
            self.extra_accounts = [
                account
                for account in self.accounts.values()
                if account.status != SocialAccount.Status.DISABLED and account.pk not in taken
            ]
        self.extra = len(self.extra_accounts)

    @cached_property
    def accounts(self) -> dict[int, SocialAccount]:
        """Every account (an institution has a few), in their order, by id."""
        return {account.pk: account for account in SocialAccount.objects.all()}

    def account_at(self, index: int) -> SocialAccount | None:
        if self.is_bound:
            raw = str(self.data.get(f"{self.add_prefix(index)}-account", ""))
            return self.accounts.get(int(raw)) if raw.isdigit() else None
        if index < self.initial_form_count():
            return self.accounts.get(self.get_queryset()[index].account_id)
        return self.extra_accounts[index - self.initial_form_count()]

    def _construct_form(self, i, **kwargs):
        kwargs["account"] = self.account_at(i)
        form = super()._construct_form(i, **kwargs)
        form.is_extra = i >= self.initial_form_count()
        return form
