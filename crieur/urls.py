"""URL map: the Wagtail admin is the application; the root sends people there."""

from django.conf import settings
from django.urls import include, path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from networks import webhooks
from operations import views as operations_views
from publishing import calendar_views

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("webhooks/<str:source>/", webhooks.receive, name="webhook"),
    path("documents/", include(wagtaildocs_urls)),
    path("approve/", include("workflows.urls")),
    path("calendar/<str:token>.ics", calendar_views.calendar_feed, name="calendar_feed"),
    path("health/", operations_views.health, name="health"),
    path("metrics/", operations_views.metrics, name="metrics"),
    path("", RedirectView.as_view(pattern_name="wagtailadmin_home", permanent=False)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("pages/", include(wagtail_urls))]
