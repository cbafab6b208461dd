"""The institution's name in the admin's pages (settings.WAGTAIL_SITE_NAME, set from
CRIEUR_INSTITUTION_NAME)."""

from django import template
from django.conf import settings

register = template.Library()

PRODUCT = "Crieur"


@register.simple_tag
def browser_title_end() -> str:
    """What every admin page's browser title ends with: « Crieur · Ville de Bourg-sur-Lac »,
    or « Crieur » alone when no institution is named."""
    institution = (getattr(settings, "WAGTAIL_SITE_NAME", "") or "").strip()
    if not institution or institution == PRODUCT:
        return PRODUCT
    return f"{PRODUCT} · {institution}"
