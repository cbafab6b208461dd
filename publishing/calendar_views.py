"""The calendar's doors: the admin page (month, week, list, timeline), moving an entry by
drag-and-drop or by a form, the personal iCal address and the public feed."""

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from wagtail.admin.widgets import AdminDateTimeInput

from cms.models import Campaign, Post
from networks.models import Network, SocialAccount

from . import permissions, services
from .calendar import (
    calendar_entries,
    calendar_entry_object,
    calendar_feed_for,
    calendar_feed_reset,
    calendar_feed_user,
    campaign_timeline,
    ical_feed,
    status_choices,
)
from .models import Publication

VIEWS = ("month", "week", "list", "timeline")
LIST_PAGE_SIZE = 50
TIMELINE_MONTHS = 6
VIEW_PERMISSION = "cms.view_post"


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


class CalendarFilterForm(forms.Form):
    network = forms.ChoiceField(
        label=gettext_lazy("Network"),
        required=False,
        choices=[("", gettext_lazy("All networks")), *Network.choices],
    )
    account = forms.ModelChoiceField(
        label=gettext_lazy("Account"),
        required=False,
        queryset=SocialAccount.objects.order_by("network", "display_name"),
        empty_label=gettext_lazy("All accounts"),
    )
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Campaign"),
        required=False,
        queryset=Campaign.objects.order_by("name"),
        empty_label=gettext_lazy("All campaigns"),
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *status_choices()]

    def selected(self) -> dict:
        """The valid filters; an unknown value is ignored rather than failing the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "network": data.get("network") or None,
            "account": data["account"].pk if data.get("account") else None,
            "campaign": data["campaign"].pk if data.get("campaign") else None,
            "status": data.get("status") or None,
        }


@dataclass
class Day:
    date: date
    in_period: bool
    is_today: bool
    entries: list = field(default_factory=list)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _period(view: str, day: date) -> tuple[date, date, date, date]:
    """(first day shown, day after the last shown, previous anchor, next anchor)."""
    if view == "week":
        monday = day - timedelta(days=day.weekday())
        week = timedelta(days=7)
        return monday, monday + week, monday - week, monday + week
    first = day.replace(day=1)
    if view == "timeline":
        return (
            first,
            _add_months(first, TIMELINE_MONTHS),
            _add_months(first, -TIMELINE_MONTHS),
            _add_months(first, TIMELINE_MONTHS),
        )
    following = _add_months(first, 1)
    if view == "month":
        # Whole weeks, Monday first: the grid shows the ends of the months around.
        start = first - timedelta(days=first.weekday())
        last = following - timedelta(days=1)
        end = last + timedelta(days=7 - last.weekday())
        return start, end, _add_months(first, -1), following
    return first, following, _add_months(first, -1), following


def _by_day(entries) -> dict:
    days: dict = {}
    for entry in entries:
        days.setdefault(_local_day(entry.when), []).append(entry)
    return days


def _month_weeks(start: date, end: date, first: date, entries) -> list[list[Day]]:
    today = timezone.localdate()
    by_day = _by_day(entries)
    days = [
        Day(
            date=start + timedelta(days=offset),
            in_period=(start + timedelta(days=offset)).month == first.month,
            is_today=start + timedelta(days=offset) == today,
            entries=by_day.get(start + timedelta(days=offset), []),
        )
        for offset in range((end - start).days)
    ]
    return [days[i : i + 7] for i in range(0, len(days), 7)]


def _timeline(start: date, end: date) -> dict:
    total = (end - start).days
    months = []
    month = start
    while month < end:
        following = _add_months(month, 1)
        months.append(
            {
                "label": date_format(month, "F Y"),
                "width": round(100 * (following - month).days / total, 3),
            }
        )
        month = following
    bars = []
    for bar in campaign_timeline(start=start, end=end):
        first = max(bar.starts_on, start)
        last = min(bar.ends_on, end - timedelta(days=1))
        bars.append(
            {
                "bar": bar,
                "left": round(100 * (first - start).days / total, 3),
                "width": max(round(100 * ((last - first).days + 1) / total, 3), 1),
            }
        )
    return {"months": months, "bars": bars}


def _title(view: str, start: date, end: date, day: date) -> str:
    if view == "week":
        return _("Week of %(start)s to %(end)s") % {
            "start": date_format(start, "j F"),
            "end": date_format(end - timedelta(days=1), "j F Y"),
        }
    if view == "timeline":
        return _("%(start)s to %(end)s") % {
            "start": date_format(start, "F Y"),
            "end": date_format(_add_months(end, -1), "F Y"),
        }
    return date_format(day.replace(day=1), "F Y")


@never_cache
def calendar(request):
    """What goes out when, on which network: the team's shared view of the plan."""
    _require(request, VIEW_PERMISSION)
    view = request.GET.get("view") if request.GET.get("view") in VIEWS else "month"
    day = parse_date(request.GET.get("date") or "") if request.GET.get("date") else None
    day = day or timezone.localdate()
    start, end, previous, following = _period(view, day)
    form = CalendarFilterForm(request.GET)
    filters = form.selected()
    q = request.GET.get("q", "").strip()

    context = {
        "view": view,
        "views": [
            ("month", _("Month")),
            ("week", _("Week")),
            ("list", _("List")),
            ("timeline", _("Campaigns")),
        ],
        "day": day,
        "previous": previous.isoformat(),
        "following": following.isoformat(),
        "today": timezone.localdate().isoformat(),
        "title": _title(view, start, end, day),
        "form": form,
        "q": q,
        "can_move": permissions.may_move(request.user),
        "move_url": reverse("publishing_calendar_move"),
        "feed": calendar_feed_for(request.user),
        "weekdays": [WEEKDAYS[i] for i in range(7)],
        "weekdays_abbr": [WEEKDAYS_ABBR[i] for i in range(7)],
        "next_url": request.get_full_path(),
    }
    if view == "timeline":
        context.update(_timeline(start, end))
    else:
        entries = calendar_entries(
            start=_aware(start), end=_aware(end), q=q if view == "list" else None, **filters
        )
        context["entry_count"] = len(entries)
        if view == "month":
            context["weeks"] = _month_weeks(start, end, day.replace(day=1), entries)
            context["empty_text"] = _(
                "Nothing planned this month: plan a post from its edit page (Context tab, "
                "“Publish on”) or import a spreadsheet."
            )
        elif view == "week":
            by_day = _by_day(entries)
            context["days"] = [
                Day(
                    date=start + timedelta(days=i),
                    in_period=True,
                    is_today=start + timedelta(days=i) == timezone.localdate(),
                    entries=by_day.get(start + timedelta(days=i), []),
                )
                for i in range(7)
            ]
            context["empty_text"] = _(
                "Nothing planned this week: plan a post from its edit page (Context tab, "
                "“Publish on”) or import a spreadsheet."
            )
        else:
            context["page"] = Paginator(entries, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
            context["empty_text"] = (
                _("No post matches your search this month.")
                if q
                else _(
                    "Nothing planned this month: plan a post from its edit page (Context tab, "
                    "“Publish on”) or import a spreadsheet."
                )
            )
    return TemplateResponse(request, "publishing/calendar/calendar.html", context)


def _move(*, obj, at, by):
    if isinstance(obj, Publication):
        return services.publication_reschedule(publication=obj, at=at, by=by)
    return services.post_schedule(post=obj, at=at, by=by)


def _current_time(obj) -> datetime | None:
    return obj.scheduled_at if isinstance(obj, Publication) else obj.planned_at


def _moved_message(at: datetime) -> str:
    return _("Moved to %(when)s.") % {
        "when": date_format(timezone.localtime(at), "DATETIME_FORMAT"),
    }


def _error_message(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


@require_POST
def calendar_move(request):
    """Drag-and-drop: move an entry to another day, at the same time of day."""
    try:
        payload = json.loads(request.body or b"{}")
        kind, pk = payload["kind"], int(payload["id"])
        day = date.fromisoformat(payload["date"])
        obj = calendar_entry_object(kind=kind, pk=pk)
    except (ValueError, KeyError, TypeError, Publication.DoesNotExist, Post.DoesNotExist):
        return JsonResponse(
            {"ok": False, "message": _("This entry no longer exists: reload the calendar.")},
            status=400,
        )
    current = _current_time(obj)
    hour = timezone.localtime(current).time() if current else time(9, 0)
    at = timezone.make_aware(datetime.combine(day, hour))
    try:
        _move(obj=obj, at=at, by=request.user)
    except PermissionDenied as refused:
        return JsonResponse({"ok": False, "message": str(refused)}, status=403)
    except ValidationError as error:
        return JsonResponse({"ok": False, "message": _error_message(error)}, status=400)
    return JsonResponse(
        {"ok": True, "message": _moved_message(at), "when": timezone.localtime(at).isoformat()}
    )


class MoveForm(forms.Form):
    # The post editor's date picker (Wagtail's), not the browser's own date field, whose
    # format follows the browser's language rather than Crieur's.
    at = forms.DateTimeField(
        label=gettext_lazy("New date and time"),
        widget=AdminDateTimeInput(),
        help_text=gettext_lazy("In your time zone. The approval of the post is kept."),
    )


def _safe_next(request, fallback: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def calendar_move_form(request, kind, pk):
    """The keyboard way to move an entry: type the new date and time."""
    if not permissions.may_move(request.user):  # not even the form
        raise PermissionDenied
    try:
        obj = calendar_entry_object(kind=kind, pk=pk)
    except (Publication.DoesNotExist, Post.DoesNotExist):
        raise Http404 from None
    current = _current_time(obj)
    initial = {"at": timezone.localtime(current).replace(tzinfo=None)} if current else {}
    form = MoveForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        at = form.cleaned_data["at"]
        try:
            _move(obj=obj, at=at, by=request.user)
        except ValidationError as error:
            form.add_error("at", _error_message(error))
        else:
            messages.success(request, _moved_message(at))
            fallback = reverse("publishing_calendar") + f"?date={_local_day(at).isoformat()}"
            return redirect(_safe_next(request, fallback))
    post = obj.post if isinstance(obj, Publication) else obj
    return TemplateResponse(
        request,
        "publishing/calendar/move.html",
        {
            "form": form,
            "post": post,
            "publication": obj if isinstance(obj, Publication) else None,
            "current": current,
            "next": _safe_next(request, reverse("publishing_calendar")),
        },
    )


@never_cache
def calendar_feed_reset_view(request):
    """Confirm, then make a new secret address and show it this once: only its hash is
    kept. The old one stops working."""
    _require(request, VIEW_PERMISSION)
    if request.method == "POST":
        return TemplateResponse(
            request,
            "publishing/calendar/feed_created.html",
            {"feed_url": calendar_feed_reset(user=request.user)},
        )
    return TemplateResponse(
        request,
        "publishing/calendar/feed_reset.html",
        {"feed": calendar_feed_for(request.user)},
    )


@never_cache
def calendar_feed(request, token):
    """The public iCal feed: no login, the secret token in the address is the key."""
    user = calendar_feed_user(token=token)
    if user is None:
        raise Http404
    response = HttpResponse(ical_feed(user=user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="crieur.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
