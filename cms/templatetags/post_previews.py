"""Template tags of the post previews: a post as a citizen reads it, and on each network."""

from django import template

from cms.previews import post_network_previews
from cms.selectors import post_citizen_view

register = template.Library()


@register.simple_tag
def citizen_view(post):
    return post_citizen_view(post=post)


@register.simple_tag
def network_previews(post):
    return post_network_previews(post=post)
