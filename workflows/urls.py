"""Public pages of workflows: the page an external approver opens from their e-mail."""

from django.urls import path

from . import external_views

app_name = "workflows"
urlpatterns = [
    path("<str:token>/", external_views.external_approval, name="external_approval"),
    path("<str:token>/done/", external_views.external_approval_done, name="external_approval_done"),
]
