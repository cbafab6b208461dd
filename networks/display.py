"""How an account's handle is shown: the way its network shows it, whatever was typed.

X and Instagram show « @name »; a Facebook Page's username and a LinkedIn page's
vanity name (its address, linkedin.com/company/…) have no @; a WhatsApp account is a
phone number, shown grouped. A handle typed with its @ (or two) is the same handle.
"""

import re

AT_NETWORKS = frozenset({"x", "instagram"})


def bare_handle(handle: str) -> str:
    """The handle without the spaces and the @ around it, as the network's addresses use it."""
    return (handle or "").strip().lstrip("@").strip()


def handle_display(network: str, handle: str) -> str:
    """The handle as `network` shows it; "" when there is none."""
    bare = bare_handle(handle)
    if not bare:
        return ""
    if network in AT_NETWORKS:
        return f"@{bare}"
    if network == "whatsapp":
        return phone_display(bare)
    return bare


def _pairs(digits: str) -> str:
    return " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def phone_display(number: str) -> str:
    """A phone number in its usual written form: « +33 6 12 34 56 78 » for a French
    mobile, « 06 12 34 56 78 » written nationally; another country's number keeps the
    grouping it came with, behind its « + »."""
    text = number.strip()
    digits = re.sub(r"\D", "", text)
    if not digits:
        return text
    if text.startswith("00"):
        text, digits = text[2:], digits[2:]
    elif not text.startswith("+") and digits.startswith("0"):
        # Written nationally (WhatsApp itself always gives the country code).
        return _pairs(digits) if len(digits) == 10 else text
    if digits.startswith("33") and len(digits) == 11:
        return f"+33 {digits[2]} {_pairs(digits[3:])}"
    groups = re.findall(r"\d+", text)
    return "+" + " ".join(groups)
