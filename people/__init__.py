"""Signing in: two-factor authentication, login lockouts and their unlocking."""
