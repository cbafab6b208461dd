"""Public pages of workflows: the page an external approver opens from their e-mail."""

app_name = "workflows"
urlpatterns: list = []
