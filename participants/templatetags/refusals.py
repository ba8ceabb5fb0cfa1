"""``{% refusal "code" %}``: a page-level refusal (404, 403, an expired link) and what to do
next, for pages Django renders without a view of ours (participants/refusals.py)."""

from django import template
from django.utils.safestring import mark_safe

from participants import refusals

register = template.Library()


@register.simple_tag
def refusal(code: str, area: str = "lainnya", flash: bool = False):
    resolved = refusals.resolve(code, area=area)
    return mark_safe(refusals.render(resolved, flash=flash))  # noqa: S308 (rendered, autoescaped)
