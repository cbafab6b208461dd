"""What every network module shares: the checks on a version and building what it sends."""

from datetime import UTC, datetime, timedelta
from typing import Any

from .base import AccountGrant, AuthExpired, Outgoing
from .checks import Draft, ImageInfo, Problem, check_text
from .limits import LIMITS, Limits


def _image_info(post_image, alt_text: str) -> ImageInfo:
    image = post_image.image
    extension = image.file.name.rsplit(".", 1)[-1].lower() if image.file else ""
    return ImageInfo(
        format="jpeg" if extension in ("jpg", "jpeg") else extension,
        width=image.width,
        height=image.height,
        alt_text=alt_text,
    )


def variant_draft(variant) -> Draft:
    """The text and media of a version as the checks see them (before conversion)."""
    images = [
        _image_info(item, alt) for item, alt in variant.images_with_alt_texts() if item.image_id
    ]
    return Draft(text=variant.effective_text, images=images, video=bool(variant.post.document_id))


def variant_problems(variant) -> list[Problem]:
    """Every problem a version would meet on its network; never raises."""
    from django.utils.translation import gettext as _

    from .checks import NETWORK_NAMES
    from .outgoing import outgoing_parts

    network = variant.account.network
    try:
        draft = variant_draft(variant)
    except Exception:  # noqa: BLE001 - a check must never stop a save
        return []
    name = NETWORK_NAMES[network]
    if variant.format == "thread" and network != "x":
        return [
            *check_text(network, draft),
            Problem(
                network,
                "thread_unsupported",
                _("%(network)s: threads exist only on X: choose the Feed post format.")
                % {"network": name},
            ),
        ]
    if variant.format != "thread":
        return check_text(network, draft)
    # A thread: the first part carries the media; each part is counted on its own.
    problems = []
    for number, text in enumerate(outgoing_parts(variant), 1):
        part = Draft(text=text, images=draft.images if number == 1 else [], video=draft.video)
        for problem in check_text(network, part):
            if number > 1 and problem.code == "too_long":
                message = _("%(network)s: part %(number)d of the thread: %(problem)s") % {
                    "network": name,
                    "number": number,
                    "problem": problem.message.split(": ", 1)[-1],
                }
                problem = Problem(network, problem.code, message, problem.blocking)
            problems.append(problem)
    return problems


class NetworkBase:
    """Shared behaviour; each network module subclasses it and sets `name`."""

    name: str = ""

    @property
    def limits(self) -> Limits:
        return LIMITS[self.name]

    def check(self, variant) -> list[Problem]:
        """Problems of this version on this network; never raises."""
        return variant_problems(variant)

    def outgoing(self, variant) -> Outgoing:
        from .outgoing import outgoing

        return outgoing(variant)


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
