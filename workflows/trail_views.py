"""Admin pages of approval: the approval trail of a post, its CSV export, the export of a
period, and the full lists behind the dashboard panels."""

import csv
import io
from functools import wraps

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from cms.models import Post
from cms.words import date_words

from . import selectors

VIEW_PERMISSION = "cms.view_post"
LIST_PAGE_SIZE = 50
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def post_viewers_only(view):
    """Anyone who may see posts reads their trail. A plain 403: Wagtail would turn a
    PermissionDenied into a redirect to the dashboard, which says nothing."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm(VIEW_PERMISSION):
            return HttpResponseForbidden(
                _("Only the people who may see posts can read their approval trail.")
            )
        return view(request, *args, **kwargs)

    return wrapped


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


@post_viewers_only
def approval_trail(request, pk: int):
    post = get_object_or_404(Post, pk=pk)
    return TemplateResponse(
        request,
        "workflows/trail/post.html",
        {
            "post": post,
            "runs": selectors.post_approval_trail(post=post),
            "can_edit": request.user.has_perm("cms.change_post"),
        },
    )


def safe_cell(value) -> str:
    """The text of a cell, which a spreadsheet will show and never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def trail_header() -> list[str]:
    return [
        _("Post id"),
        _("Post title"),
        _("Publication id"),
        _("Account"),
        _("Network"),
        _("Scheduled at"),
        _("Publication state"),
        _("Revision id"),
        _("Round"),
        _("Decision"),
        _("Name"),
        _("How"),
        _("Date"),
        pgettext("what an approver wrote", "Comment"),
    ]


def trail_line(row: selectors.TrailRow) -> list:
    publication, decision = row.publication, row.decision
    return [
        row.post_id,
        row.post_title,
        publication.pk if publication else "",
        publication.account.display_name if publication else "",
        publication.account.get_network_display() if publication else "",
        _local(publication.scheduled_at) if publication else "",
        publication.get_state_display() if publication else "",
        (decision.revision_id if decision else row.run.revision_id) or "",
        decision.round_name if decision else "",
        decision.verdict_label if decision else row.run.status_label,
        decision.name if decision else "",
        decision.via_label if decision else "",
        _local(decision.at) if decision else "",
        decision.comment if decision else "",
    ]


def trail_csv(rows, *, filename: str) -> HttpResponse:
    """The rows as French Excel opens them: semicolons, and a BOM so it reads UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in trail_header()])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in trail_line(row)])
    response = HttpResponse(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _today() -> str:
    return timezone.localdate().isoformat()


@post_viewers_only
def approval_trail_csv(request, pk: int):
    post = get_object_or_404(Post.objects.only("pk"), pk=pk)
    rows = selectors.approval_trail_rows(posts=[post])
    return trail_csv(rows, filename=f"crieur-approval-trail-post-{post.pk}-{_today()}.csv")


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    end = forms.DateField(
        label=gettext_lazy("To"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=gettext_lazy("Both days are included."),
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error(
                "end",
                _("The period ends before it starts: choose a day on or after %(start)s.")
                % {"start": date_words(start, "SHORT_DATE_FORMAT")},
            )
        return cleaned


@post_viewers_only
def approval_trail_export(request):
    """Every post's trail over a period, as CSV; the form comes first."""
    form = PeriodForm(request.GET or None)
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        rows = selectors.approval_trail_rows(start=start, end=end)
        return trail_csv(
            rows,
            filename=f"crieur-approval-trail-{start.isoformat()}-{end.isoformat()}"
            f"-exported-{_today()}.csv",
        )
    return TemplateResponse(request, "workflows/trail/export.html", {"form": form})


# -- The full lists behind the dashboard panels -----------------------------------------

LISTS = {
    "waiting": (
        selectors.waiting_for_decision,
        gettext_lazy("Waiting for my decision"),
        "workflows/panels/_waiting_table.html",
    ),
    "after-planned": (
        selectors.rounds_after_planned,
        gettext_lazy("My posts whose round ends after their planned time"),
        "workflows/panels/_waiting_table.html",
    ),
    "sent-back": (
        selectors.sent_back_to,
        gettext_lazy("Sent back to me"),
        "workflows/panels/_sent_back_table.html",
    ),
    "to-schedule": (
        selectors.approved_to_schedule,
        gettext_lazy("Approved, to be scheduled"),
        "workflows/panels/_to_schedule_table.html",
    ),
}


def approval_list(request, which: str):
    """One dashboard panel in full, page by page. Each list only holds what concerns the
    person asking, so it needs no permission of its own."""
    if which not in LISTS:
        raise Http404
    selector, title, table = LISTS[which]
    page = Paginator(selector(user=request.user), LIST_PAGE_SIZE).get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "workflows/panels/list.html",
        {
            "title": title,
            "table": table,
            "items": page.object_list,
            "page": page,
            "can_edit": request.user.has_perm("cms.change_post"),
        },
    )
