"""Admin pages of the bulk import: upload a file, read its report, import, follow progress."""

import csv
import datetime as dt
import io
from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from networks.models import SocialAccount

from . import import_media, imports
from .models import ImportJob
from .permissions import may_import

RECENT_JOBS = 10


def importers_only(view):
    """Only people who write posts, and administrators, import them (by role). A plain
    403: Wagtail would turn a PermissionDenied into a redirect to the dashboard."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not may_import(request.user):
            return HttpResponseForbidden(
                _("Only the people who write posts, and administrators, can import them.")
            )
        return view(request, *args, **kwargs)

    return wrapped


def _own_job(request, job_id: int) -> ImportJob:
    """Only its creator sees a job: anyone else gets a 404, not a hint that it exists."""
    return get_object_or_404(ImportJob, pk=job_id, created_by=request.user)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (.csv or .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    images = forms.FileField(
        label=gettext_lazy("Images (.zip, optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".zip"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["images"].help_text = _(
            "The images the sheet names by file name, in one ZIP file of at most %(max)d MB."
        ) % {"max": import_media.MAX_ARCHIVE_BYTES // (1024 * 1024)}


@importers_only
def import_upload(request):
    """Upload a file: it is checked at once and its report shown; nothing is imported yet."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        # One byte past the limit is enough to say the file is too large.
        data = upload.read(imports.MAX_BYTES + 1)
        job = imports.import_check(
            name=upload.name,
            data=data,
            by=request.user,
            images_zip=form.cleaned_data.get("images") or None,
        )
        return redirect("publishing_import_report", job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user).only(
        "pk", "file_name", "created_at", "status", "total", "done", "error"
    )[:RECENT_JOBS]
    return TemplateResponse(
        request,
        "publishing/import/upload.html",
        {
            "form": form,
            "jobs": jobs,
            "max_rows": imports.MAX_ROWS,
            "max_images": imports.MAX_IMAGES,
            "max_image_mb": import_media.MAX_IMAGE_BYTES // (1024 * 1024),
        },
    )


@importers_only
@require_GET
def import_template(request):
    """A CSV to start from: the columns and one example row, as French Excel opens it."""
    french = (translation.get_language() or "fr").startswith("fr")
    header = imports.TEMPLATE_HEADERS["fr" if french else "en"]
    accounts = list(SocialAccount.objects.order_by("network", "display_name"))
    account = imports.template_account(accounts)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    # The example names its account so that no other account shares the reference, and
    # leaves the images empty: they are fetched or read from a ZIP file at the check.
    example = [
        tomorrow.strftime("%d/%m/%Y"),
        "09:30",
        imports.account_reference(account, accounts) if account else "facebook",
        _("Public meeting on Thursday at 6 pm at the town hall: come and give your opinion."),
        _("Public meeting"),
        "",
        "https://www.example.fr/",
        "",
        "",
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows([header, example])
    response = HttpResponse(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="crieur-import.csv"'
    return response


def _calendar_url() -> str:
    try:
        return reverse("publishing_calendar")
    except NoReverseMatch:
        return ""


@importers_only
def import_report(request, job_id: int):
    """The file's report row by row; POST starts the import (the valid rows only if confirmed)."""
    job = _own_job(request, job_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "choose":
                imports.import_accounts_choose(
                    job=job,
                    value=request.POST.get("value", ""),
                    account_ids=request.POST.getlist("accounts"),
                    by=request.user,
                )
            else:
                only_valid = request.POST.get("only_valid") == "1"
                imports.import_start(job=job, only_valid=only_valid, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("publishing_import_report", job.pk)
    invalid = imports.invalid_count(job)
    # Administrators import without editing posts: their links go to the approval trail.
    post_url = (
        "wagtailsnippets_cms_post:edit"
        if request.user.has_perm("cms.change_post")
        else "workflows_approval_trail"
    )
    rows = [
        row
        | {
            "edit_url": reverse(post_url, args=[row["post"]]) if row.get("post") else "",
            "image_count": len(imports.pieces(row["values"].get("images", ""))),
        }
        for row in job.rows
    ]
    return TemplateResponse(
        request,
        "publishing/import/report.html",
        {
            "job": job,
            "rows": rows,
            "row_count": len(rows),
            "valid_count": len(rows) - invalid,
            "invalid_count": invalid,
            "ambiguities": imports.import_ambiguities(job),
            "created_count": len(job.created_posts),
            "confirm_valid_only": request.GET.get("confirm") == "valid-only" and invalid,
            "calendar_url": _calendar_url(),
            "posts_url": reverse("wagtailsnippets_cms_post:list"),
            "progress_url": reverse("publishing_import_progress", args=[job.pk]),
        },
    )


@importers_only
@require_GET
def import_progress(request, job_id: int):
    """Where an import stands, for the report page's progress bar."""
    job = _own_job(request, job_id)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "done": job.done,
            "total": job.total,
            "created": len(job.created_posts),
        }
    )
