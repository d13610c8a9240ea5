"""Reading a generated report back with the standard library's HTML parser (for the tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    #: the text inside, in pieces (joined on reading: a 4 MB report has deep, long elements)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class Page:
    elements: list[Element] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    #: raw text inside <script> and <style>
    raw: dict[str, list[str]] = field(default_factory=dict)

    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag
                and all(e.attrs.get(k.rstrip("_").replace("_", "-")) == v
                        for k, v in attrs.items())]

    def by_id(self, ident: str) -> Element:
        found = [e for e in self.elements if e.attrs.get("id") == ident]
        assert len(found) == 1, f"{len(found)} elements with id {ident}"
        return found[0]

    @property
    def text(self) -> str:
        return "".join(self.texts)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.page.elements.append(el)
        if tag not in ("meta", "br", "input", "img", "link", "hr"):  # HTML void elements
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.elements.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if any(e.tag == tag for e in self.stack):
            while self.stack.pop().tag != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1].tag in ("script", "style"):
            self.page.raw.setdefault(self.stack[-1].tag, []).append(data)
            return
        self.page.texts.append(data)
        for el in self.stack:
            el.parts.append(data)


def parse(html: str) -> Page:
    p = _Parser()
    p.feed(html)
    p.close()
    return p.page
