"""Post an admin form as a browser posts it: every field the page renders, as the page renders it.

A browser sends each text input's value, each textarea's text with its line breaks as CRLF (HTML's
form submission rule), the selected option of each select (the first when none is marked), checked
checkboxes only, and the button that was clicked. Tests that post a dict of the fields they care
about miss what this adds: the unchanged fields come back too, in the browser's form.
"""

from html.parser import HTMLParser


class _FormFields(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.fields: list[tuple[str, str]] = []
        self.textareas: set[str] = set()
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._option: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.in_form = attrs.get("id") == self.form_id
            return
        if not self.in_form or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value") or "on"))
                return
            # A text input's value has its line breaks stripped by the browser.
            value = (attrs.get("value") or "").replace("\r", "").replace("\n", "")
            self.fields.append((name, value))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
            self.textareas.add(name)
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value"), "selected": "selected" in attrs, "text": []}

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)
        elif self._option is not None:
            self._option["text"].append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            # HTML drops one line break right after <textarea>; Django's template writes one.
            if text.startswith("\r\n"):
                text = text[2:]
            elif text.startswith("\n"):
                text = text[1:]
            text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
            self.fields.append((self._textarea, text))
            self._textarea = None
        elif tag == "option" and self._option is not None:
            option = self._option
            value = option["value"] if option["value"] is not None else "".join(option["text"]).strip()
            self._options.append((value, option["selected"]))
            self._option = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and self._options:
                chosen = [self._options[0][0]]
            self.fields.extend((self._select, value) for value in chosen[:1])
            self._select = None


def rendered_form(html: str, form_id: str) -> tuple[dict[str, list[str]], set[str]]:
    """The fields a browser would submit from the form `form_id` (name -> values in page order),
    and the names of its textareas."""
    parser = _FormFields(form_id)
    parser.feed(html)
    parser.close()
    fields: dict[str, list[str]] = {}
    for name, value in parser.fields:
        fields.setdefault(name, []).append(value)
    return fields, parser.textareas


def as_browser_text(text: str) -> str:
    """A textarea's text as a browser submits it: every line break CRLF."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def post_change_form(client, url: str, *, form_id: str = "video_form", edits=None, button: str = "_save"):
    """GET the change page, then POST its form as a browser would after the person typed `edits`
    (name -> value, as typed; a textarea's line breaks go as CRLF) and clicked `button`."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    fields, textareas = rendered_form(page.content.decode(), form_id)
    assert fields, f"no form {form_id!r} on {url}"
    for name, value in (edits or {}).items():
        if isinstance(value, bool):  # a checkbox: sent when checked, left out when not
            fields.pop(name, None)
            if value:
                fields[name] = ["on"]
            continue
        assert name in fields, f"{name} is not a field of the rendered form"
        fields[name] = [as_browser_text(value) if name in textareas else value]
    fields[button] = ["Save"]
    return client.post(url, fields)
