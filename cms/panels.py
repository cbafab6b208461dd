"""The composer of the post editor: the master message beside one tab per network account.

The master text and images are on one side; on the other, each account the post goes to
has a tab showing the post as that network will show it (cms.previews, the cards the
approvers see), its counter and its problems, updated as the author types
(cms/static/cms/composer.js asks cms.composer). A network's version follows the master
message until the author customises it; a reset makes it follow the master again.
"""

import json

from django import forms
from django.forms.formsets import DELETION_FIELD_NAME, ORDERING_FIELD_NAME
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail.admin.compare import TextFieldComparison
from wagtail.admin.panels import FieldPanel, InlinePanel, PanelGroup
from wagtail.images import get_image_model

from .forms import VariantForm, VariantFormSet
from .models import parse_media

COMPOSER_MEDIA = forms.Media(js=["cms/composer.js"], css={"all": ["cms/composer.css"]})


def composer_strings() -> dict[str, str]:
    """What composer.js writes on the page, in the user's language."""
    return {
        "customised": _("Customised for this network"),
        "follows": _("Follows the master message"),
        "include": _("Image %(number)s on %(network)s"),
        "altText": _("Alt text on %(network)s"),
        "altPlaceholder": _("As in the master message: %(alt)s"),
        "noAlt": _("no alt text yet"),
        "earlier": _("Move image %(number)s earlier"),
        "later": _("Move image %(number)s later"),
        "noImages": _("The master message has no image."),
        "unavailable": _(
            "The preview cannot be shown right now; the post is checked again when saved."
        ),
        "problem": _("(to be fixed)"),
    }


class ComposerPanel(PanelGroup):
    """The first tab of the post editor. Its children, in order: what goes across the
    top (the title, the planned time), the master message (a panel group), the networks
    (a NetworkVersionsPanel), and what goes under the networks."""

    class BoundPanel(PanelGroup.BoundPanel):
        template_name = "cms/panels/composer.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            children = list(self.children)
            at = next(
                i for i, c in enumerate(children) if isinstance(c.panel, NetworkVersionsPanel)
            )
            context["top"] = [child for child in children[: at - 1] if child.is_shown()]
            context["master"] = children[at - 1]
            context["networks"] = children[at]
            context["under"] = [child for child in children[at + 1 :] if child.is_shown()]
            context["preview_url"] = reverse("cms_composer_preview")
            context["post_id"] = self.instance.pk if self.instance is not None else None
            context["strings"] = composer_strings()
            return context

        @property
        def media(self):
            return super().media + COMPOSER_MEDIA


class NetworkVersionsPanel(InlinePanel):
    """The networks side of the composer: a tick per account, a tab per ticked one.

    It edits the post's `variants` formset (cms.forms.VariantFormSet: one form per
    account), so every network's version is part of the post's revisions.
    """

    def get_form_options(self):
        options = super().get_form_options()
        options["formsets"][self.relation_name].update(
            {"form": VariantForm, "formset": VariantFormSet}
        )
        return options

    class BoundPanel(InlinePanel.BoundPanel):
        template_name = "cms/panels/network_versions.html"
        # composer.js runs these forms, not Wagtail's inline panel script (which looks
        # for an "add" button and a template of an empty form, and fails without them).
        telepath_adapter_name = "wagtail.panels.Panel"

        def js_opts(self):
            return {"type": type(self.panel).__name__, "prefix": self.prefix}

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["versions"] = [
                self.version(index, form) for index, form in enumerate(self.formset.forms)
            ]
            context["has_ticked"] = any(version["ticked"] for version in context["versions"])
            return context

        def version(self, index: int, form) -> dict:
            account = form.composer_account
            unticked = form.unticked() if form.is_bound else bool(getattr(form, "is_extra", False))
            form.fields[DELETION_FIELD_NAME].widget = forms.HiddenInput()
            if self.formset.can_order:
                form.fields[ORDERING_FIELD_NAME].widget = forms.HiddenInput()
            text = form["text"].value() or ""
            media_field = form["media"]
            # Bound: what the browser sent (JSON); unbound: the saved value.
            if form.is_bound:
                media_json = media_field.data or ""
            else:
                media_json = "" if media_field.initial is None else json.dumps(media_field.initial)
            customised = bool(str(text).strip()) or media_json.strip() not in ("", "null")
            formats = form.fields["format"].choices
            return {
                "form": form,
                "order": index + 1,
                "account": account,
                "ticked": account is not None and not unticked,
                "customised": customised,
                "single_format": formats[0] if len(formats) == 1 else None,
                "threads": account is not None and "thread" in dict(formats),
                "key": form.prefix,
                "media_field": media_field,
                "media_json": media_json,
                "has_errors": bool(form.errors) if form.is_bound and not unticked else False,
                "handle": account.handle_display if account else "",
                "network_label": account.get_network_display() if account else "",
                "status_text": _("Customised for this network")
                if customised
                else _("Follows the master message"),
            }


def media_in_words(value) -> str:
    """A version's choice of images as people read it, one image a line."""
    if value is None:
        return _("The post's images, with their own alt texts")
    choices = parse_media(value)
    if not choices:
        return _("No image")
    titles = get_image_model().objects.in_bulk({choice.image for choice in choices})
    lines = []
    for choice in choices:
        image = titles.get(choice.image)
        title = image.title if image is not None else f"#{choice.image}"
        lines.append(
            _("%(image)s, alt text: %(alt)s") % {"image": title, "alt": choice.alt_text}
            if choice.alt_text
            else title
        )
    return "\n".join(lines)


class MediaChoiceComparison(TextFieldComparison):
    """Comparing two revisions, a network's images are named, not shown as JSON."""

    def __init__(self, field, obj_a, obj_b):
        super().__init__(field, obj_a, obj_b)
        self.val_a, self.val_b = media_in_words(self.val_a), media_in_words(self.val_b)


class MediaChoicePanel(FieldPanel):
    """A version's choice of images (`Variant.media`), edited under the thumbnails by
    composer.js and compared in words."""

    def get_comparison_class(self):
        return MediaChoiceComparison
