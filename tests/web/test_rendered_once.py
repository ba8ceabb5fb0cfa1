"""``{% rendered_once %}`` (docs/performance.md): links and labels that are the same for everyone
are rendered once per process and language, and can never show anything about the person asking."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import override_settings
from django.urls import path
from django.utils import translation

from prakerja.templatetags import portal


def _template(body: str) -> Template:
    return Template("{% load i18n static portal %}" + body)


def test_the_fragment_is_rendered_once_and_then_reused(monkeypatch):
    template = _template(
        "{% rendered_once %}<a href=\"{% url 'home' %}\">Beranda</a>{% endrendered_once %}"
    )
    renders = []
    original = portal.RenderedOnceNode.render_fresh
    monkeypatch.setattr(
        portal.RenderedOnceNode,
        "render_fresh",
        lambda self, context: renders.append(1) or original(self, context),
    )
    first = template.render(Context())
    second = template.render(Context())
    assert first == second == '<a href="/">Beranda</a>'
    assert len(renders) == 1


def test_the_fragment_never_sees_the_request_context():
    """A variable slipped inside would be the same for everyone: the tag refuses it."""
    with pytest.raises(TemplateSyntaxError, match="rendered_once"):
        _template("{% rendered_once %}<p>{{ user.email }}</p>{% endrendered_once %}")


@pytest.mark.parametrize(
    "inside",
    [
        "{% csrf_token %}",
        "{% if user.is_staff %}x{% endif %}",
        "{% translate 'Menu' as label %}",
        "{% url 'home' as link %}",
    ],
)
def test_only_text_translations_links_and_static_files_are_allowed(inside):
    with pytest.raises(TemplateSyntaxError, match="rendered_once"):
        _template("{% rendered_once %}" + inside + "{% endrendered_once %}")


def test_each_language_gets_its_own_rendering():
    template = _template("{% rendered_once %}{% translate 'Log out' %}{% endrendered_once %}")
    with translation.override("en"):
        english = template.render(Context())
    with translation.override("de"):
        german = template.render(Context())
    assert (english, german) == ("Log out", "Abmelden")


def test_a_link_follows_the_script_prefix():
    """Behind a path prefix (SCRIPT_NAME) the links carry it."""
    from django.urls import get_script_prefix, set_script_prefix

    template = _template("{% rendered_once %}{% url 'home' %}{% endrendered_once %}")
    before = get_script_prefix()
    try:
        assert template.render(Context()) == "/"
        set_script_prefix("/portal/")
        assert template.render(Context()) == "/portal/"
    finally:
        set_script_prefix(before)


def _home():  # the view of this module's urlconf, never called
    raise AssertionError


urlpatterns = [path("beranda/", _home, name="home")]


def test_a_link_follows_the_urlconf():
    template = _template("{% rendered_once %}{% url 'home' %}{% endrendered_once %}")
    assert template.render(Context()) == "/"
    with override_settings(ROOT_URLCONF=__name__):
        assert template.render(Context()) == "/beranda/"
