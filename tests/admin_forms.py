"""Submit an admin change form the way a browser would: every field the page rendered, with its
rendered value, plus the changes a test makes. Tests that hand-build POST data miss the inline
management forms a user with more permissions gets, which is how a 500 hid for a superuser."""

from html.parser import HTMLParser


class _FormFields(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(
                a.get("value", "on" if kind == "checkbox" else "")
            )
        elif tag == "select" and name:
            self._select, self._select_value = name, None
            self.data.setdefault(name, [])
        elif tag == "option" and self._select:
            if "selected" in a:
                self.data[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data.setdefault(self._textarea, []).append("".join(self._text).lstrip("\n"))
            self._textarea = None


def rendered_form(html: str, form_id: str) -> dict[str, list[str]]:
    """The fields a browser would submit from the form ``form_id`` of ``html``."""
    parser = _FormFields(form_id)
    parser.feed(html)
    assert parser.data, f"no form #{form_id} on the page"
    return parser.data


def submit_change_form(client, url: str, model_name: str, **changes):
    """GET the admin change page at ``url``, then POST its rendered fields with ``changes``."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = rendered_form(page.content.decode(), f"{model_name}_form")
    for name, value in changes.items():
        data[name] = [value]
    data["_save"] = ["Simpan"]
    return client.post(url, data)
