"""Template filters for dates and names in words (cms.words).

{% load crieur_words %}
{{ post.planned_at|date_words }}                      1er décembre 2026 10:00
{{ publication.scheduled_at|date_words:"SHORT_DATETIME_FORMAT" }}
{% blocktranslate with name=approver.name asvar sentence %}… of {{ name }}…{% endblocktranslate %}
{{ sentence|elide_de:approver.name }}                 … au nom d'Élise Petit…
"""

from django import template

from cms.words import date_words as _date_words
from cms.words import elide_de as _elide_de

register = template.Library()


@register.filter
def date_words(value, format_name="DATETIME_FORMAT"):
    return _date_words(value, format_name)


@register.filter(is_safe=True)
def elide_de(text, name):
    return _elide_de(text, str(name))
