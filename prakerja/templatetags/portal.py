"""Template tags of the portal's own pages.

``{% rendered_once %}...{% endrendered_once %}`` holds a fragment that is the same for every
request: text, ``{% translate %}`` of a fixed text, ``{% url %}`` of fixed arguments and
``{% static %}``. It is rendered the first time it is needed and reused for the life of the process,
once per language and path prefix (a page's menus, footers and links cost a few
microseconds each to resolve, dozens of times per page).

It cannot show anything about the person asking: it holds no variable, no condition, no form
token and no block (the parser refuses them), and it is rendered with an empty context.

``{{ amount|rupiah }}`` writes money as "Rp600.000" (``prakerja.money``).
"""

from django import template
from django.conf import settings
from django.template.base import FilterExpression, TextNode, Variable
from django.template.defaulttags import CommentNode, URLNode
from django.templatetags.i18n import TranslateNode
from django.templatetags.static import StaticNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language

from prakerja.money import rupiah as format_rupiah

register = template.Library()


@register.filter
def rupiah(amount_idr) -> str:
    """``{{ amount|rupiah }}``: "Rp600.000" (``prakerja.money.rupiah``); empty for no value."""
    if amount_idr is None or amount_idr == "":
        return ""
    return format_rupiah(amount_idr)


def _fixed(expression: FilterExpression) -> bool:
    """A literal (a quoted text or a number) without filters."""
    if expression.filters:
        return False
    return not isinstance(expression.var, Variable) or expression.var.lookups is None


def _fixed_node(node: template.Node) -> bool:
    if isinstance(node, TextNode | CommentNode):
        return True
    if isinstance(node, TranslateNode):
        return (
            node.asvar is None and node.message_context is None and _fixed(node.filter_expression)
        )
    if isinstance(node, URLNode):
        arguments = [node.view_name, *node.args, *node.kwargs.values()]
        return node.asvar is None and all(_fixed(argument) for argument in arguments)
    if isinstance(node, StaticNode):
        return node.varname is None and _fixed(node.path)
    return False


class RenderedOnceNode(template.Node):
    def __init__(self, nodelist: template.NodeList):
        self.nodelist = nodelist
        self.rendered: dict[tuple, str] = {}

    def render(self, context: template.Context) -> str:
        key = (get_language(), get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
        try:
            return self.rendered[key]
        except KeyError:
            html = self.rendered[key] = self.render_fresh(context)
            return html

    def render_fresh(self, context: template.Context) -> str:
        return self.nodelist.render(template.Context(autoescape=context.autoescape))


@register.tag
def rendered_once(parser, token):
    nodelist = parser.parse(("endrendered_once",))
    parser.delete_first_token()
    for node in nodelist:
        if not _fixed_node(node):
            raise template.TemplateSyntaxError(
                "{% rendered_once %} holds only text and fixed {% translate %}, {% url %} and "
                f"{{% static %}} tags, not {node!r} (it is the same for every request)."
            )
    return RenderedOnceNode(nodelist)
