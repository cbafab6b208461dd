"""Wagtail's generic admin strings, worded for each of Crieur's models.

Wagtail builds « Add %(model_name)s », « New: %(model_name)s », « Choose %(object)s »
around a model's name; in French they read « Ajouter un(e) message », « Nouvel(le) :
Message », « Choisir campagne ». A viewset says the whole phrases for its model in a
`Wording`, and `WordedViewSetMixin` hands them to the views Wagtail builds: the
listing's button, the add form's title and breadcrumb, the messages after saving, the
chooser's buttons and title. `WordedInlinePanel` does the same for an inline panel's
« Add » button.

Here, in the lowest layer, because every app's viewsets use it.
"""

from dataclasses import dataclass

from django.utils.text import capfirst
from wagtail.admin.panels import InlinePanel
from wagtail.admin.views import generic
from wagtail.snippets.widgets import AdminSnippetChooser


@dataclass(frozen=True)
class Wording:
    """The phrases of one model; `%(object)s` stands for the object in the messages."""

    add: str  # "Add a campaign": the listing's button
    new: str  # "New campaign": the add form's title and breadcrumb
    created: str = ""  # "Campaign “%(object)s” created."
    updated: str = ""  # "Campaign “%(object)s” updated."
    deleted: str = ""  # "Campaign “%(object)s” deleted."
    no_match: str = ""  # "No campaign matches your search."
    choose: str = ""  # "Choose a campaign": the chooser's button and title
    choose_another: str = ""  # "Choose another campaign"
    edit_chosen: str = ""  # "Edit this campaign"


class _IndexWording:
    wording: Wording

    @property
    def no_results_message(self):
        if (self.is_searching or self.is_filtering) and self.wording.no_match:
            return self.wording.no_match
        return super().no_results_message


class _CreateWording:
    wording: Wording

    def get_header_title(self):
        return self.wording.new

    def get_breadcrumbs_items(self):
        items = super().get_breadcrumbs_items()
        return [*items[:-1], {**items[-1], "label": self.wording.new}]

    def get_success_message(self, *args):
        if getattr(self, "action", "create") in ("create", "edit") and self.wording.created:
            instance = args[0] if args else self.object
            return capfirst(self.wording.created % {"object": instance})
        return super().get_success_message(*args)


class _EditWording:
    wording: Wording

    def get_success_message(self, *args):
        if getattr(self, "action", "edit") == "edit" and self.wording.updated:
            instance = args[0] if args else self.object
            return capfirst(self.wording.updated % {"object": instance})
        return super().get_success_message(*args)


class _DeleteWording:
    wording: Wording

    def get_success_message(self, *args):
        message = super().get_success_message(*args)
        if message is not None and self.wording.deleted:
            return capfirst(self.wording.deleted % {"object": self.object})
        return message


_VIEW_WORDING = (
    # CopyView is a CreateView: a copy is a new object too.
    (generic.IndexView, _IndexWording),
    (generic.CreateView, _CreateWording),
    (generic.EditView, _EditWording),
    (generic.DeleteView, _DeleteWording),
)


class WordedSnippetChooser(AdminSnippetChooser):
    """Wagtail's snippet chooser says « Choose %(object)s » whatever its viewset says;
    this one keeps the viewset's phrases."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        cls = type(self)
        self.choose_one_text = cls.choose_one_text
        self.choose_another_text = cls.choose_another_text
        self.link_to_chosen_text = cls.link_to_chosen_text


class WordedViewSetMixin:
    """For a SnippetViewSet: `wording = Wording(...)` words its views (see above)."""

    wording: Wording | None = None

    def construct_view(self, view_class, **kwargs):
        wording = self.wording
        if wording is not None:
            for generic_class, mixin in _VIEW_WORDING:
                if issubclass(view_class, generic_class):
                    view_class = type(
                        view_class.__name__, (mixin, view_class), {"wording": wording}
                    )
                    break
            if issubclass(view_class, generic.IndexView):
                kwargs["add_item_label"] = wording.add
        return super().construct_view(view_class, **kwargs)

    @property
    def chooser_viewset_class(self):
        base = super().chooser_viewset_class
        wording = self.wording
        if wording is None or not wording.choose:
            return base
        return type(
            f"Worded{base.__name__}",
            (base,),
            {
                "choose_one_text": wording.choose,
                "choose_another_text": wording.choose_another or wording.choose,
                "edit_item_text": wording.edit_chosen or base.edit_item_text,
                "base_widget_class": WordedSnippetChooser,
            },
        )


class WordedInlinePanel(InlinePanel):
    """An InlinePanel whose « Add » button says `add_label` (« Add an image ») rather
    than « Add » and the label; `label` names each child (« Image 1 »)."""

    def __init__(self, *args, add_label="", **kwargs):
        super().__init__(*args, **kwargs)
        self.add_label = add_label

    def clone_kwargs(self):
        return {**super().clone_kwargs(), "add_label": self.add_label}

    class BoundPanel(InlinePanel.BoundPanel):
        template_name = "networks/wording/inline_panel.html"
