"""What every network module shares: the checks on a draft, its limits, token renewal."""

from datetime import UTC, datetime, timedelta
from typing import Any

from .base import AccountGrant, AuthExpired
from .checks import Draft, Problem, draft_problems
from .limits import LIMITS, Limits


class NetworkBase:
    """Shared behaviour; each network module subclasses it and sets `name`."""

    name: str = ""

    @property
    def limits(self) -> Limits:
        return LIMITS[self.name]

    def check(self, draft: Draft) -> list[Problem]:
        """Problems of this draft on this network; never raises."""
        return draft_problems(self.name, draft)


class RefreshTokenMixin:
    """OAuth 2 access renewed with a refresh token (X, LinkedIn): the network module
    gives `_token(form)`, the call to its token endpoint, and the sentence to show when
    an account has no renewal token."""

    name: str = ""
    no_renewal_token: Any = ""  # a lazy translation

    def _token(self, form: dict[str, str]) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def _tokens(body: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
        """The stored credentials after a token answer: what it renews, the rest kept."""
        credentials = dict(previous or {})
        credentials["access_token"] = body["access_token"]
        for key in ("refresh_token", "scope"):
            if body.get(key):
                credentials[key] = body[key]
        return credentials

    @staticmethod
    def _expiry(body: dict[str, Any]) -> datetime | None:
        seconds = body.get("expires_in")
        return datetime.now(UTC) + timedelta(seconds=int(seconds)) if seconds else None

    def refresh(self, account) -> AccountGrant:
        previous = dict(account.credentials or {})
        refresh_token = previous.get("refresh_token", "")
        if not refresh_token:
            raise AuthExpired(str(self.no_renewal_token), network=self.name)
        body = self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})
        return AccountGrant(
            network=self.name,
            remote_id=account.remote_id,
            display_name=account.display_name,
            handle=account.handle,
            credentials=self._tokens(body, previous),
            token_expires_at=self._expiry(body),
        )
