"""Prepared messages: crisis templates and saved replies."""
