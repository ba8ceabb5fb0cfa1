"""``{% latest_complaints user as var %}`` for the participant dashboard's complaints section."""

from django import template

from complaints import selectors

register = template.Library()


@register.simple_tag
def latest_complaints(user):
    return selectors.latest_for_user(user=user)
