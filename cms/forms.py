"""Admin forms for posts: the checks that look at a post and its images together."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.forms import WagtailAdminModelForm

from .models import MAX_POST_IMAGES


class PostForm(WagtailAdminModelForm):
    def clean(self):
        cleaned_data = super().clean()
        images = self.formsets.get("images")
        if images is None or not images.is_valid():
            return cleaned_data
        kept = [
            form
            for form in images.forms
            if form.has_changed() and not images._should_delete_form(form)
        ]
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
        return cleaned_data
