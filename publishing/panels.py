"""Editor panels of publishing: what each network will make of the post."""

from wagtail.admin.panels import Panel

from .selectors import post_network_reports


class NetworkChecksPanel(Panel):
    """Each network version's length, counted as the network counts, and its problems."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "publishing/panels/network_checks.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["reports"] = post_network_reports(post=self.instance)
            return context
