"""The WhatsApp Cloud API in the sandbox: sending messages and templates, receipts and
citizens' messages as signed webhooks.

Messages go to `POST /graph/<version>/<phone_number_id>/messages` (the Cloud API's
path under the sandbox's Graph prefix). Each accepted message gets its receipts (sent,
delivered, read), kept in `bucket("whatsapp", "statuses")` and, when Crieur gave the
sandbox a webhook address, delivered to it signed like Meta does. `POST
/_sandbox/whatsapp/incoming` plays a citizen writing to the number (INFOS, STOP…), and
`/_sandbox/whatsapp/preference` one who stops (or resumes) its marketing messages in
WhatsApp itself (the "user_preferences" webhook).

The phone numbers are Graph objects (`bucket("graph", "objects")`), answered by the
generic Graph node route of meta.py.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from typing import Any

from .core import Sandbox, bearer_token

NETWORK = "whatsapp"

# The approved templates every fresh sandbox has: name → language and how many body
# variables ({{1}}…) it takes; "header" says which header parameter it accepts.
APPROVED_TEMPLATES = {
    "actualites": {"language": "fr", "body_parameters": 1, "header": "image", "status": "APPROVED"},
    "bienvenue": {"language": "fr", "body_parameters": 0, "header": "", "status": "APPROVED"},
}

TEXT_MAX = 4096
CAPTION_MAX = 1024
# WhatsApp refuses a template variable with a line break, a tab or 5 spaces in a row.
BAD_PARAMETER = re.compile(r"[\n\t]| {5,}")


def graph_error(
    status: int, code: int, message: str, details: str = "", subcode: int | None = None
) -> tuple[int, dict[str, Any]]:
    """An error in the Graph API's shape, as the Cloud API sends it."""
    error: dict[str, Any] = {
        "message": f"(#{code}) {message}" if code not in (190,) else message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AsandboxTrace",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return status, {"error": error}


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def templates(sandbox: Sandbox) -> dict[str, Any]:
    """The approved templates (seeded once per reset; a test may add or remove some)."""
    with sandbox.lock:
        state = sandbox.bucket(NETWORK, "state")
        bucket = sandbox.bucket(NETWORK, "templates")
        if not state.get("seeded"):
            for name, template in APPROVED_TEMPLATES.items():
                bucket.setdefault(name, dict(template))
            state["seeded"] = True
        return bucket


def phone_number_register(
    sandbox: Sandbox,
    phone_number_id: str,
    *,
    display_phone_number: str = "",
    verified_name: str = "",
    waba_id: str = "",
) -> dict[str, Any]:
    """Make a business phone number a Graph object (what `GET /<id>` answers)."""
    with sandbox.lock:
        objects = sandbox.bucket("graph", "objects")
        number = objects.setdefault(
            phone_number_id,
            {
                "owner": NETWORK,
                "id": phone_number_id,
                "display_phone_number": display_phone_number or "+33 6 00 00 00 00",
                "verified_name": verified_name or "Numéro du bac à sable",
                "waba_id": waba_id or f"waba-{phone_number_id}",
            },
        )
        if display_phone_number:
            number["display_phone_number"] = display_phone_number
        if verified_name:
            number["verified_name"] = verified_name
        return number


def _value(
    sandbox: Sandbox, phone_number_id: str, field: str = "messages", **content
) -> dict[str, Any]:
    number = phone_number_register(sandbox, phone_number_id)
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": number["waba_id"],
                "changes": [
                    {
                        "field": field,
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": re.sub(
                                    r"\D", "", number["display_phone_number"]
                                ),
                                "phone_number_id": phone_number_id,
                            },
                            **content,
                        },
                    }
                ],
            }
        ],
    }


def status_payload(
    sandbox: Sandbox,
    phone_number_id: str,
    message_id: str,
    status: str,
    recipient: str,
    tracker: str = "",
) -> dict[str, Any]:
    receipt = {
        "id": message_id,
        "status": status,
        "timestamp": str(int(time.time())),
        "recipient_id": recipient,
    }
    if tracker:  # WhatsApp echoes the sender's biz_opaque_callback_data
        receipt["biz_opaque_callback_data"] = tracker
    return _value(sandbox, phone_number_id, statuses=[receipt])


def incoming_payload(
    sandbox: Sandbox, phone_number_id: str, sender: str, text: str, name: str = ""
) -> dict[str, Any]:
    return _value(
        sandbox,
        phone_number_id,
        contacts=[{"profile": {"name": name or "Habitant·e"}, "wa_id": sender}],
        messages=[
            {
                "from": sender,
                "id": f"wamid.sandbox-in-{sandbox.new_id()}",
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": text},
            }
        ],
    )


def preference_payload(
    sandbox: Sandbox, phone_number_id: str, user: str, value: str, name: str = ""
) -> dict[str, Any]:
    """A citizen stops (or resumes) the number's marketing messages in WhatsApp itself."""
    detail = {
        "stop": "User requested to stop marketing messages",
        "resume": "User requested to resume marketing messages",
    }.get(value, "")
    return _value(
        sandbox,
        phone_number_id,
        field="user_preferences",
        contacts=[{"profile": {"name": name or "Habitant·e"}, "wa_id": user}],
        user_preferences=[
            {
                "wa_id": user,
                "detail": detail,
                "category": "marketing_messages",
                "value": value,
                "timestamp": int(time.time()),
            }
        ],
    )


def deliver(sandbox: Sandbox, payload: dict[str, Any]) -> int | None:
    """POST a webhook to Crieur signed with the app secret (X-Hub-Signature-256)."""
    secret = sandbox.secrets.get(NETWORK, "")
    headers = {"X-Hub-Signature-256": signature(secret, sandbox.webhook_body(payload))}
    return sandbox.deliver_webhook(NETWORK, payload, headers)


def _check_template(sandbox: Sandbox, template: dict[str, Any]):
    """None when the template message is valid, else the Graph error."""
    name = template.get("name", "")
    language = (template.get("language") or {}).get("code", "")
    approved = templates(sandbox).get(name)
    if not approved or approved["language"] != language or approved["status"] != "APPROVED":
        return graph_error(
            404,
            132001,
            "Template name does not exist in the translation",
            f"template name ({name}) does not exist in {language}",
        )
    components = template.get("components") or []
    body = [p for c in components if c.get("type") == "body" for p in c.get("parameters") or []]
    header = [p for c in components if c.get("type") == "header" for p in c.get("parameters") or []]
    if len(body) != approved["body_parameters"]:
        return graph_error(
            400,
            132000,
            "Number of parameters does not match the expected number of params",
            f"body: number of localizable_params ({len(body)}) does not match the expected "
            f"number of params ({approved['body_parameters']})",
        )
    for parameter in body:
        if parameter.get("type") != "text" or not parameter.get("text"):
            return graph_error(
                400,
                132012,
                "Parameter format does not match format in the created template",
                "body: a text parameter is expected",
            )
        if BAD_PARAMETER.search(parameter["text"]):
            return graph_error(
                400,
                132018,
                "There was an issue with the parameters in your template.",
                "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
            )
    for parameter in header:
        kind = parameter.get("type")
        if kind != approved["header"] or not (parameter.get(kind) or {}).get("link"):
            return graph_error(
                400,
                132012,
                "Parameter format does not match format in the created template",
                f"header: format mismatch, expected {approved['header'] or 'none'}",
            )
    return None


def _check_message(sandbox: Sandbox, data: Any):
    if not isinstance(data, dict):
        return graph_error(400, 100, "Invalid parameter", "the body must be JSON")
    if data.get("messaging_product") != "whatsapp":
        return graph_error(400, 100, "The parameter messaging_product is required.")
    if not re.sub(r"\D", "", str(data.get("to") or "")):
        return graph_error(400, 100, "Invalid parameter", "to: a phone number is required")
    kind = data.get("type", "text")
    if kind == "template":
        return _check_template(sandbox, data.get("template") or {})
    if kind == "text":
        body = (data.get("text") or {}).get("body", "")
        if not body or len(body) > TEXT_MAX:
            return graph_error(400, 100, "Invalid parameter", "text.body: 1 to 4096 characters")
        return None
    if kind == "image":
        image = data.get("image") or {}
        if not (image.get("link") or image.get("id")):
            return graph_error(400, 100, "Invalid parameter", "image: link or id is required")
        if len(image.get("caption") or "") > CAPTION_MAX:
            return graph_error(400, 100, "Invalid parameter", "image.caption: 1024 characters")
        return None
    return graph_error(400, 131051, "Unsupported message type", f"type {kind!r}")


def _receipts(
    sandbox: Sandbox, phone_number_id: str, message_id: str, recipient: str, tracker: str
) -> None:
    payloads = [
        status_payload(sandbox, phone_number_id, message_id, status, recipient, tracker)
        for status in ("sent", "delivered", "read")
    ]
    with sandbox.lock:
        sandbox.bucket(NETWORK, "statuses")[message_id] = payloads
    if NETWORK not in sandbox.webhook_urls:
        return

    def send() -> None:
        # After the answer, as WhatsApp does: receipts never come before the message id.
        for payload in payloads:
            deliver(sandbox, payload)

    thread = threading.Thread(target=send, daemon=True)
    with sandbox.lock:
        sandbox.bucket(NETWORK, "state")["receipts"] = thread  # a test can join it
    thread.start()


def register(sandbox: Sandbox) -> None:
    @sandbox.route(NETWORK, "/graph/<version>/<phone_number_id>/messages", ("POST",))
    def messages(request, version, phone_number_id):
        if not bearer_token(request):
            return graph_error(401, 190, "Invalid OAuth access token.")
        data = request.get_json(silent=True)
        error = _check_message(sandbox, data)
        if error is not None:
            return error
        phone_number_register(sandbox, phone_number_id)
        recipient = re.sub(r"\D", "", str(data["to"]))
        message_id = f"wamid.sandbox-{sandbox.new_id()}"
        with sandbox.lock:
            sandbox.bucket(NETWORK, "messages")[message_id] = {
                "phone_number_id": phone_number_id,
                "to": recipient,
                "type": data.get("type", "text"),
                "body": data,
            }
        tracker = str(data.get("biz_opaque_callback_data") or "")
        _receipts(sandbox, phone_number_id, message_id, recipient, tracker)
        sent: dict[str, str] = {"id": message_id}
        if data.get("type") == "template":
            sent["message_status"] = "accepted"
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": str(data["to"]), "wa_id": recipient}],
            "messages": [sent],
        }

    @sandbox.route("_sandbox", "/_sandbox/whatsapp/incoming", ("POST",))
    def incoming(request):
        data = request.get_json(force=True, silent=True) or {}
        phone_number_id = str(data.get("phone_number_id", ""))
        sender = re.sub(r"\D", "", str(data.get("from", "")))
        if not phone_number_id or not sender:
            return 400, {"error": "phone_number_id and from (a phone number) are required"}
        payload = incoming_payload(
            sandbox, phone_number_id, sender, str(data.get("text", "")), data.get("name", "")
        )
        return 200, {"payload": payload, "status": deliver(sandbox, payload)}

    @sandbox.route("_sandbox", "/_sandbox/whatsapp/preference", ("POST",))
    def preference(request):
        data = request.get_json(force=True, silent=True) or {}
        phone_number_id = str(data.get("phone_number_id", ""))
        user = re.sub(r"\D", "", str(data.get("from", "")))
        value = str(data.get("value", ""))
        if not phone_number_id or not user or value not in ("stop", "resume"):
            return 400, {"error": "phone_number_id, from and value (stop, resume) are required"}
        payload = preference_payload(sandbox, phone_number_id, user, value, data.get("name", ""))
        return 200, {"payload": payload, "status": deliver(sandbox, payload)}

    @sandbox.fault_renderer(NETWORK)
    def fault(kind, request):
        if kind == "timeout":
            return None
        if kind in ("server_error", "duplicate"):  # WhatsApp has no duplicate check
            status, body = graph_error(500, 131000, "Something went wrong", "Unknown error")
        elif kind == "rate_limited":
            status, body = graph_error(
                429, 130429, "Rate limit hit", "Cloud API message throughput has been reached."
            )
        elif kind == "expired_token":
            status, body = graph_error(
                401,
                190,
                "Error validating access token: Session has expired.",
                subcode=463,
            )
        elif kind == "whatsapp_outside_window":
            status, body = graph_error(
                400,
                131047,
                "Re-engagement message",
                "Message failed to send because more than 24 hours have passed since the "
                "customer last replied to this number.",
            )
        else:
            return None
        return sandbox.json_response(status, body)
