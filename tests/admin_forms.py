"""Read an admin form page the way a browser would, to post it back with a few changes."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._select_value: str | None = None
        self._multiple = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.data[name] = a.get("value") or "on"
                return
            self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select, self._select_value = name, None
            self._multiple = "multiple" in a
        elif tag == "option" and self._select is not None:
            value = a.get("value") or ""
            if self._select_value is None:
                self._select_value = value  # a browser sends the first option by default
            if "selected" in a:
                self.data[self._select] = value
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            if not self._multiple:  # an empty multiple select sends nothing
                self.data.setdefault(self._select, self._select_value or "")
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.data[self._textarea] = "".join(self._text).lstrip("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)


def admin_form_data(client, url: str) -> dict[str, str]:
    """Every field of the admin form at ``url`` with its current value (unselected
    selects come back empty, unchecked checkboxes absent, as a browser sends them)."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    parser = _FormParser()
    parser.feed(response.content.decode())
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser.data
