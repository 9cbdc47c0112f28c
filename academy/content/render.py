"""Markdown to safe HTML, rendered once when content is imported and then served as is.

Two layers keep author text from becoming script:

1. Python-Markdown with built-in extensions only, plus three Academy hooks:
   raw HTML in the source is *dropped* (not passed through; the checker warns
   about it with its line), table alignment becomes an `align-*` class instead
   of a `style` attribute, and every id gets a prefix so content never
   clobbers an id of the page around it.
2. nh3 with an explicit allowlist of the tags, attributes, classes and URL
   schemes Python-Markdown produces, so anything that slips through layer 1
   (a `javascript:` link written in Markdown syntax, say) is removed.

`convert` also reports what the checker needs to know about the source:
links, images (with alt text) and raw HTML, each with its line in the text.
"""
from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.toc import TocExtension
from markdown.inlinepatterns import HTML_RE, HtmlInlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

ImageResolver = Callable[[str], "str | None"]
# Maps a relative link written in the source (e.g. "02-dosing.md#c-doses") to the URL pages use.
LinkResolver = Callable[[str], "str | None"]

EXTERNAL_REL = "noopener noreferrer"
# Part of every render-cache key: bump it whenever this module changes what it outputs. The
# library versions are included so that an upgrade of either never serves stale HTML.
RENDER_VERSION = f"2/markdown-{markdown.__version__}/nh3-{getattr(nh3, '__version__', '?')}"
ADMONITION_TYPES = ("note", "tip", "warning", "danger")
_ALIGNMENTS = ("left", "center", "right")
_EXTERNAL_SCHEMES = ("http:", "https:")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_EMPTY_PARAGRAPH = re.compile(r"<p></p>\n?")

_SANITISER = {
    "tags": {
        "a", "abbr", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "hr", "img",
        "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
        *_HEADINGS,
    },
    "clean_content_tags": {"script", "style"},
    "attributes": {
        "a": {"href", "title", "rel"},
        "img": {"src", "alt", "title"},
        "abbr": {"title"},
        "ol": {"start"},
        "sup": {"id"},
        "li": {"id"},
        **{heading: {"id"} for heading in _HEADINGS},
    },
    "allowed_classes": {
        "div": {"admonition", *ADMONITION_TYPES, "footnote", "toc"},
        "p": {"admonition-title"},
        "a": {"footnote-ref", "footnote-backref"},
        "th": {f"align-{a}" for a in _ALIGNMENTS},
        "td": {f"align-{a}" for a in _ALIGNMENTS},
    },
    "url_schemes": {"http", "https", "mailto"},
    "link_rel": None,  # rel is set by _Finish on external links only; nh3 would add it to every link
    "strip_comments": True,
}


@dataclass(frozen=True)
class Found:
    """A link, image or piece of raw HTML in the source; `line` is 1-based within the text."""

    value: str
    line: int
    alt: str | None = None


@dataclass(frozen=True)
class Rendered:
    """Sanitised HTML plus what the source contained, for the checker."""

    html: str
    links: tuple[Found, ...]
    images: tuple[Found, ...]
    raw_html: tuple[Found, ...]
    # Raw HTML blocks that take lines of text down with them; `value` is the message.
    lost_text: tuple[Found, ...] = ()


def render_markdown(text: str, *, resolve_image: ImageResolver | None = None, heading_prefix: str = "c-") -> str:
    """Sanitised HTML for Markdown `text`.

    `resolve_image(src)` may return the URL to serve an image from (e.g.
    `/media/<sha256>`); returning None keeps `src` as written. Unresolvable
    images are the checker's business, never an exception here.
    `heading_prefix` is put in front of every id (headings and footnotes)
    and of the in-page links that point at them.
    """
    return convert(text, resolve_image=resolve_image, heading_prefix=heading_prefix).html


def render_references(
    references: Sequence[str], *, resolve_image: ImageResolver | None = None, heading_prefix: str = "c-",
    render: Callable[[str, str], str] | None = None,
) -> str:
    """The numbered "References" section shown after a module body or course overview ("" if none).

    `render(markdown, heading_prefix)` renders the list (default: `render_markdown`), so a caller
    with a render cache can use it.
    """
    if not references:
        return ""
    items = "\n".join("1. " + reference.replace("\n", "\n    ") for reference in references)
    if render is None:
        listing = render_markdown(items, resolve_image=resolve_image, heading_prefix=f"{heading_prefix}ref-")
    else:
        listing = render(items, f"{heading_prefix}ref-")
    heading_id = html.escape(f"{heading_prefix}reference-list")
    return f'<h2 id="{heading_id}">References</h2>\n{listing}'


def convert(text: str, *, resolve_image: ImageResolver | None = None,
            resolve_link: LinkResolver | None = None, heading_prefix: str = "c-") -> Rendered:
    """Render `text` and report its links, images and raw HTML (see `render_markdown`)."""
    md, extension = _converter()
    found = _Found(text)
    extension.state = _Conversion(found, resolve_image, resolve_link, heading_prefix)
    try:
        body = md.reset().convert(text)
    finally:
        extension.state = None
    body = _EMPTY_PARAGRAPH.sub("", body)  # left where raw HTML blocks were dropped
    return Rendered(
        html=nh3.clean(body, **_SANITISER),
        links=tuple(found.links),
        images=tuple(found.images),
        raw_html=tuple(found.raw_html),
        lost_text=tuple(found.lost_text),
    )


_local = threading.local()


def _converter() -> tuple[markdown.Markdown, "_AcademyExtension"]:
    """One Markdown instance per thread, reset between texts.

    Building an instance (loading every extension) costs more than converting
    a typical text, and an import converts thousands of them.
    """
    if getattr(_local, "md", None) is None:
        extension = _AcademyExtension()
        _local.md = markdown.Markdown(
            extensions=["tables", "footnotes", "admonition", "fenced_code", "def_list", "abbr", "sane_lists",
                        TocExtension(), extension],
            output_format="html",
        )
        _local.extension = extension
    return _local.md, _local.extension


@dataclass
class _Conversion:
    """What one conversion needs besides the text: where findings go and how URLs are resolved."""

    found: "_Found"
    resolve_image: ImageResolver | None
    resolve_link: LinkResolver | None
    prefix: str


@dataclass
class _Found:
    """Collects findings during one conversion and maps them back to source lines."""

    text: str
    links: list[Found] = field(default_factory=list)
    images: list[Found] = field(default_factory=list)
    raw_html: list[Found] = field(default_factory=list)
    lost_text: list[Found] = field(default_factory=list)
    _search_from: dict[str, int] = field(default_factory=dict)
    _lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lines = _outside_code(self.text)

    def line_of(self, needle: str) -> int:
        """Line of the next occurrence of `needle` outside code (findings arrive in document order).

        Python-Markdown keeps no source positions, so the line is found by
        searching the source; if the text cannot be found (Markdown changed
        it, e.g. by unescaping), the best guess is the last match or line 1.
        """
        lines = self._lines
        start = self._search_from.get(needle, 0)
        for index in range(start, len(lines)):
            if needle in lines[index]:
                self._search_from[needle] = index + 1
                return index + 1
        return max(start, 1)

    def add_raw_html(self, fragment: str) -> None:
        stripped = fragment.strip()
        if not stripped or stripped.startswith("</") or (stripped.startswith("<!--") and stripped.endswith("-->")):
            return  # one finding per opening tag; comments are removed silently (authors keep notes in them)
        first_line = next(line.strip() for line in stripped.split("\n") if line.strip())
        start = self.line_of(first_line)
        if not _BLANK_LINE.search(stripped):
            self.raw_html.append(Found(first_line, start))
            return
        # Python-Markdown ends a raw HTML block only at its closing tag, so a
        # block that crosses a blank line holds the author's text too (to the
        # end of the document when the tag is never closed), and the sanitiser
        # removes all of it: a warning about the tag alone would hide that.
        after = stripped.count("\n")
        name = _TAG_NAME.match(first_line)
        unclosed = name is not None and f"</{name.group(1).lower()}" not in stripped.lower()
        what = (f"'{first_line}' is never closed, so the {after} lines after it are read as raw HTML" if unclosed
                else f"the raw HTML block '{first_line}' takes in the {after} lines after it")
        self.lost_text.append(Found(
            f"{what}, which would be missing from the page: the sanitiser removes raw HTML and everything in it; "
            "write the text in Markdown", start))


def _outside_code(text: str) -> list[str]:
    """The source lines with code spans and fenced code blocks blanked out, for searching."""
    lines, fence = [], ""
    for line in text.split("\n"):
        marker = _FENCE.match(line)
        if fence:
            if marker and marker.group(1).startswith(fence):
                fence = ""
            lines.append("")
        elif marker:
            fence = marker.group(1)
            lines.append("")
        else:
            lines.append(_CODE_SPAN.sub("", line))
    return lines


_FENCE = re.compile(r"\s*(`{3,}|~{3,})")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_TAG_NAME = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)")
_CODE_SPAN = re.compile(r"(`+).*?\1")


class _AcademyExtension(Extension):
    """Academy's processors; they read the current conversion's state from `state`."""

    def __init__(self):
        super().__init__()
        self.state: _Conversion | None = None

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        html_block = md.preprocessors["html_block"]
        md.preprocessors.register(_DropRawHtmlBlocks(md, html_block, self), "html_block", 20)
        md.inlinePatterns.register(_DropInlineHtml(HTML_RE, md, self), "html", 90)
        # After toc (5) has set heading ids and unescape (0) has restored escaped characters.
        md.treeprocessors.register(_Finish(md, self), "academy", -10)


class _DropRawHtmlBlocks(Preprocessor):
    """Runs Python-Markdown's raw HTML block extractor, records each block, and blanks it out."""

    def __init__(self, md: markdown.Markdown, inner: Preprocessor, extension: _AcademyExtension):
        super().__init__(md)
        self.inner = inner
        self.extension = extension

    def run(self, lines: list[str]) -> list[str]:
        stash = self.md.htmlStash.rawHtmlBlocks
        first_new = len(stash)  # fenced_code (priority 25) stashed code blocks before us; leave those
        lines = self.inner.run(lines)
        for index in range(first_new, len(stash)):
            self.extension.state.found.add_raw_html(str(stash[index]))
            stash[index] = ""
        return lines


class _DropInlineHtml(HtmlInlineProcessor):
    """Inline raw HTML (`<span>`, `<img onerror=…>`) is recorded and replaced by nothing."""

    def __init__(self, pattern: str, md: markdown.Markdown, extension: _AcademyExtension):
        super().__init__(pattern, md)
        self.extension = extension

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[str, int, int]:  # noqa: N802
        self.extension.state.found.add_raw_html(m.group(1))
        return "", m.start(0), m.end(0)


class _Finish(Treeprocessor):
    """Records links and images, resolves image URLs, turns alignment styles into classes,
    marks external links, and prefixes ids and the in-page links to them."""

    def __init__(self, md: markdown.Markdown, extension: _AcademyExtension):
        super().__init__(md)
        self.extension = extension

    def run(self, root: Element) -> None:
        state = self.extension.state
        self.found, self.resolve_image = state.found, state.resolve_image
        self.resolve_link, self.prefix = state.resolve_link, state.prefix
        ids: set[str] = set()
        for element in root.iter():
            if element.tag == "a":
                self._link(element)
            elif element.tag == "img":
                self._image(element)
            elif element.tag in ("th", "td"):
                _alignment_to_class(element)
            if element.get("id"):
                ids.add(element.get("id"))
                element.set("id", self.prefix + element.get("id"))
        for anchor in root.iter("a"):
            href = anchor.get("href", "")
            if href.startswith("#") and href[1:] in ids:
                anchor.set("href", f"#{self.prefix}{href[1:]}")

    def _link(self, anchor: Element) -> None:
        href = anchor.get("href")
        if href is None or href.startswith("#"):
            return
        if markdown.util.AMP_SUBSTITUTE in href:
            # An email autolink (<name@example.org>): Python-Markdown spells the
            # address as character references behind its placeholder for "&".
            href = html.unescape(href.replace(markdown.util.AMP_SUBSTITUTE, "&"))
            anchor.set("href", href)
            self.found.links.append(Found(href, self.found.line_of(href.removeprefix("mailto:"))))
            return
        self.found.links.append(Found(href, self.found.line_of(href)))
        if href.strip().lower().startswith(_EXTERNAL_SCHEMES):
            anchor.set("rel", EXTERNAL_REL)
        elif self.resolve_link is not None:
            url = self.resolve_link(href)
            if url is not None:
                anchor.set("href", url)

    def _image(self, image: Element) -> None:
        src = image.get("src", "")
        self.found.images.append(Found(src, self.found.line_of(src), alt=image.get("alt", "")))
        if self.resolve_image is not None:
            url = self.resolve_image(src)
            if url is not None:
                image.set("src", url)


def _alignment_to_class(cell: Element) -> None:
    """`style="text-align: center;"` (or `align="center"`) becomes `class="align-center"`."""
    style = cell.attrib.pop("style", "")
    align = cell.attrib.pop("align", "")
    match = re.search(r"text-align:\s*(\w+)", style)
    alignment = match.group(1) if match else align
    if alignment in _ALIGNMENTS:
        cell.set("class", f"align-{alignment}")
