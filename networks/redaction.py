"""Secrets never leave the network layer: what is cut out of errors and log records.

A failed call's text (a URL with `?access_token=…&appsecret_proof=…`, an SDK's error
that repeats the request's headers, a token endpoint's form) ends up in the database,
in e-mails, on the dashboard and in logs. `NetworkError` redacts its message and body
with `redact`, so no network module can forget; `install()` does the same to every log
record, whoever logs it (urllib3 and tweepy log URLs and headers at DEBUG).

What is cut: the values of secret-looking parameters (`access_token=`, `"client_secret":`,
`oauth_signature="…"`), `Authorization` schemes (`Bearer …`, `Basic …`), and the literal
values of the secrets in use: the app secrets from settings, and every token, secret
and proof the network modules hand to a client (`remember`).
"""

import hashlib
import hmac
import logging
import re
import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import config

MARK = "[redacted]"

# Names whose values are secrets: tokens of every kind, secrets, proofs, signatures,
# PKCE verifiers, OAuth 1 parameters, the Authorization header.
_NAMES = (
    r"[A-Za-z0-9_.-]*(?:token|secret|proof|password|passwd|signature|verifier|api[_-]?key)"
    r"|oauth_[A-Za-z_]+|authorization"
)
# name=value in a query string, a form or a header (also URL-encoded, also quoted); in a
# query string `code` is an OAuth 2 authorization code.
_PAIR = re.compile(
    rf"(?<![A-Za-z0-9_-])(?P<name>{_NAMES}|code)(?P<sep>=|%3D)"
    r"(?:(?P<quote>[\"'])[^\"']*(?P=quote)|[^&\s\"'<>,;)\]}]+)",
    re.IGNORECASE,
)
# "name": "value" or 'name': 'value' in JSON or a dict's repr (request contexts, headers).
_MAPPED = re.compile(
    rf"(?P<key>(?P<q1>[\"'])(?:{_NAMES})(?P=q1)\s*:\s*)(?P<q2>[\"'])(?P<value>.*?)(?P=q2)",
    re.IGNORECASE,
)
# Authorization: <scheme> <credentials>, however it is written.
_SCHEME = re.compile(r"\b(?P<scheme>Bearer|Basic)\s+(?P<value>[A-Za-z0-9._~+/=:-]+)", re.I)
# A password in an address: scheme://user:password@host.
_USERINFO = re.compile(r"(?P<start>\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@")

_SHORTEST = 8  # a literal shorter than this could be an ordinary word
_REMEMBERED = 512

_lock = threading.Lock()
_remembered: OrderedDict[str, None] = OrderedDict()


def remember(*values: Any) -> None:
    """Note secrets in use (an account's token, an app secret) so that their literal
    values are cut from any text, wherever they appear."""
    with _lock:
        for value in values:
            if isinstance(value, str) and len(value) >= _SHORTEST:
                _remembered[value] = None
                _remembered.move_to_end(value)
        while len(_remembered) > _REMEMBERED:
            _remembered.popitem(last=False)


def secrets_of(form: dict[str, Any]) -> list[str]:
    """The values of a form's secret-named fields (`refresh_token`, `code`…)."""
    return [
        value
        for key, value in form.items()
        if isinstance(value, str) and (_SECRET_KEY.match(key) or key.lower() == "code")
    ]


def appsecret_proof(token: str, app_secret: str) -> str:
    """Meta's proof of a call: HMAC-SHA256 of the token with the app secret."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def _settings_secrets() -> list[str]:
    """The apps' secrets (the sandbox's in the demo) and the other secrets in settings."""
    try:
        values = [config.client(app)[1] for app in ("x", "meta", "linkedin")]
        for name in ("CRIEUR_WHATSAPP_VERIFY_TOKEN", "CRIEUR_WHATSAPP_APP_SECRET"):
            values.append(getattr(settings, name, "") or "")
    except ImproperlyConfigured:  # a record logged before Django's settings are ready
        return []
    return values


def _literals() -> list[str]:
    with _lock:
        values = list(_remembered)
    values += [value for value in _settings_secrets() if len(value) >= _SHORTEST]
    # The longest first: a secret that contains another is cut whole.
    return sorted(set(values), key=len, reverse=True)


def _quoted(text: str, quote: str | None) -> str:
    return f"{quote}{text}{quote}" if quote else text


def redact(text: Any) -> str:
    """`text` with every secret it holds replaced by "[redacted]"."""
    if text is None:
        return ""
    text = str(text)
    if not text:
        return text
    for value in _literals():
        if value in text:
            text = text.replace(value, MARK)
    text = _MAPPED.sub(lambda m: f"{m['key']}{m['q2']}{MARK}{m['q2']}", text)
    text = _PAIR.sub(lambda m: f"{m['name']}{m['sep']}{_quoted(MARK, m['quote'])}", text)
    text = _USERINFO.sub(lambda m: f"{m['start']}{MARK}@", text)
    return _SCHEME.sub(lambda m: f"{m['scheme']} {MARK}", text)


_SECRET_KEY = re.compile(rf"^(?:{_NAMES})$", re.IGNORECASE)


def redact_value(value: Any) -> Any:
    """A network's answer (JSON-like) with secrets cut from its strings, and the values
    of secret-named keys replaced."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {
            key: MARK
            if isinstance(key, str) and _SECRET_KEY.match(key) and isinstance(item, str)
            else redact_value(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_value(item) for item in value]
    return value


# -- Logs ------------------------------------------------------------------------------------

_formatter = logging.Formatter()


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Cut secrets from a record's message, its exception's text (the whole chain:
    a typed error's cause is the SDK's exception, URL included) and its stack. Never
    raises: logging must go on."""
    try:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(_formatter.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
    except Exception:  # noqa: BLE001, S110 - a bad format is the handler's to report
        pass
    return record


class RedactSecrets(logging.Filter):
    """A logging filter (for a handler in LOGGING) that redacts, never drops."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_installed = False


def install() -> None:
    """Redact every log record as it is made, whichever logger makes it (a filter on a
    logger misses its children's records: urllib3.connectionpool, tweepy.client…)."""
    global _installed
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args, **kwargs) -> logging.LogRecord:
            return redact_record(previous(*args, **kwargs))

        logging.setLogRecordFactory(factory)
        _installed = True
