"""Approval rounds on Wagtail workflows, and the roles bootstrap."""
