"""Admin pages of the notifications: the list, opening one, reading all, the e-mail choices."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import notifications
from .models import Notification

PER_PAGE = 25


@require_GET
def notification_list(request):
    """The person's notifications, newest first, the unread ones marked."""
    paginator = Paginator(notifications.notifications_of(user=request.user), PER_PAGE)
    page = paginator.get_page(request.GET.get("p"))
    items = [
        {"notification": notification, "message": notifications.notification_message(notification)}
        for notification in page
    ]
    return TemplateResponse(
        request,
        "workflows/notifications/list.html",
        {
            "items": items,
            "page": page,
            "elided_page_range": paginator.get_elided_page_range(page.number),
            "unread": notifications.unread_count(user=request.user),
        },
    )


@require_GET
def notification_open(request, notification_id: int):
    """Follow a notification to what it is about; it is read from then on.

    Someone else's notification is a 404, not a hint that it exists.
    """
    notification = get_object_or_404(Notification, pk=notification_id, recipient=request.user)
    notifications.notification_read(notification=notification, by=request.user)
    target = notifications.notification_target(notification)
    hosts = {request.get_host(), urlsplit(settings.WAGTAILADMIN_BASE_URL).netloc}
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=hosts):
        target = "workflows_notifications"
    return redirect(target)


@require_POST
def notifications_read_all(request):
    count = notifications.notifications_read_all(user=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)s notification marked as read.",
            "%(count)s notifications marked as read.",
            count,
        )
        % {"count": count},
    )
    return redirect("workflows_notifications")


class EmailChoicesForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Also send me an e-mail when"),
        choices=Notification.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy(
            "Untick what you do not want by e-mail: it still appears in your notifications."
        ),
    )


@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    """Which notifications also reach the person by e-mail."""
    form = EmailChoicesForm(
        request.POST if request.method == "POST" else None,
        initial={"email_kinds": notifications.email_kinds(user=request.user)},
    )
    if request.method == "POST" and form.is_valid():
        notifications.preferences_save(
            user=request.user, email_kinds=form.cleaned_data["email_kinds"]
        )
        messages.success(request, gettext("Your choices of e-mails are saved."))
        return redirect("workflows_notification_preferences")
    return TemplateResponse(
        request,
        "workflows/notifications/preferences.html",
        {"form": form, "has_email": bool(request.user.email)},
    )
