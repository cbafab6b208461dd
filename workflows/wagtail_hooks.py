"""The workflows part of the admin: each module below registers its own hooks."""

from . import dashboard_hooks, notification_hooks  # noqa: F401
