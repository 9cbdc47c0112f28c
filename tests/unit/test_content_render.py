"""Rendering: Markdown features survive, script never does (in modules and in quiz texts)."""
from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest

from academy.content.parse import parse_quiz
from academy.content.render import convert, render_markdown, render_references

FORBIDDEN_TAGS = {
    "script", "iframe", "object", "embed", "form", "input", "button", "textarea", "select", "style", "link",
    "meta", "base", "svg", "math", "frame", "frameset", "applet", "details", "body", "noscript", "template",
}
FORBIDDEN_SCHEMES = ("javascript:", "data:", "vbscript:")

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    '<IMG SRC="javascript:alert(\'XSS\');">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="https://evil.example"><input name="password"><button>Go</button></form>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<div onmouseover="alert(1)">hover me</div>',
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;&#x61;vascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    "<style>@import 'javascript:alert(1)';</style>",
    "<!--<img src=x onerror=alert(1)>-->",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<textarea><script>alert(1)</script></textarea>",
    '<table><td background="javascript:alert(1)">cell</td></table>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    '[x](javascript:alert(1) "title")',
    "[x](vbscript:msgbox(1))",
    "[x](VBScript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![x" onerror="alert(1)](images/dot.png)',
    '[x](https://ok.example "t\\" onmouseover=\\"alert(1)")',
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "[x][r]\n\n[r]: javascript:alert(1)",
    '[x][r]\n\n[r]: JAVASCRIPT:alert(1) "title"',
    "![x][i]\n\n[i]: data:image/png;base64,AAAA",
    "[^1]\n\n[^1]: <script>alert(1)</script> [y](javascript:alert(1))",
    '!!! warning "<img src=x onerror=alert(1)>"\n    <script>alert(1)</script>',
    "*[XSS]: <img src=x onerror=alert(1)>\n\nXSS here",
    "| <script>alert(1)</script> | [x](javascript:alert(1)) |\n| --- | --- |\n| <b onclick=x>1</b> | 2 |",
    "# <img src=x onerror=alert(1)> heading",
    "Term\n:   <iframe src=//evil.example></iframe>",
    '<img src="images/dot.png" style="position:fixed;top:0">',
]


class _Elements(HTMLParser):
    """Every start tag with its attributes, as a browser would parse them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))


def assert_safe(html: str) -> None:
    assert "<script" not in html.lower()
    for tag, attrs in _Elements(html).elements:
        assert tag not in FORBIDDEN_TAGS, (tag, html)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, html)
            assert name != "style", (tag, html)
            if name in ("href", "src", "action", "formaction", "background", "data"):
                squashed = re.sub(r"[\x00-\x20]", "", unescape(value or "")).lower()
                assert not squashed.startswith(FORBIDDEN_SCHEMES), (tag, name, value, html)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_module_markdown_payload_is_neutralised(payload: str) -> None:
    assert_safe(render_markdown(f"Intro text.\n\n{payload}\n\nOutro text."))
    assert_safe(render_markdown(payload))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_quiz_payload_is_neutralised(payload: str) -> None:
    indented = payload.replace("\n", "\n    ")
    text = (f"---\nminutes: 1\n---\n\nId: xss\n1.  Question {indented}\n... General {indented}\n"
            f"+   Right {indented}\n-   Wrong {indented}\na)  Choice {indented}\n... Choice feedback {indented}\n"
            f"*b) Keyed\nRationale: Because {indented}\nReference: Ref {indented}\n")
    quiz, problems = parse_quiz(text, "quiz.md")
    if quiz is None:  # a link the checker rejects (javascript:) still has to render safely
        assert any(p.severity == "error" for p in problems)
        return
    question = quiz.questions[0]
    for html in (question.text_html, question.general_feedback_html, question.correct_feedback_html,
                 question.incorrect_feedback_html, question.rationale_html, question.reference_html,
                 *(c.text_html for c in question.choices), *(c.feedback_html for c in question.choices)):
        assert_safe(html)


def test_quiz_payloads_render_safely_even_when_the_checker_rejects_them() -> None:
    # parse_quiz returns no document when it finds errors, so check rendering directly too.
    for payload in XSS_PAYLOADS:
        assert_safe(convert(payload, heading_prefix="q-xss-").html)


def test_corpus_is_large() -> None:
    assert len(XSS_PAYLOADS) >= 40


@pytest.mark.parametrize("html", ["<script>x</script>", '<a href="jav&#x09;ascript:x">x</a>', '<p onclick="x">p</p>',
                                  '<p style="color:red">p</p>', "<iframe></iframe>", '<img src="DATA:image/png,x">'])
def test_the_safety_check_itself_catches_unsafe_html(html: str) -> None:
    with pytest.raises(AssertionError):
        assert_safe(html)


def test_raw_html_is_dropped_and_reported_with_its_line() -> None:
    rendered = convert("Para one.\n\nText <span onclick=\"x\">inline</span> more.\n\n<div>\nblock\n</div>\n")
    assert "span" not in rendered.html and "block" not in rendered.html and "inline" in rendered.html
    assert [(found.value, found.line) for found in rendered.raw_html] == [
        ("<div>", 5), ('<span onclick="x">', 3)]


def test_html_in_code_is_text_and_not_reported() -> None:
    rendered = convert("Use `<b>` for bold.\n\n```\n<script>alert(1)</script>\n```\n\n    <i>indented</i>\n")
    assert rendered.raw_html == ()
    assert "&lt;b&gt;" in rendered.html and "&lt;script&gt;" in rendered.html and "&lt;i&gt;" in rendered.html


def test_comments_are_dropped_silently() -> None:
    rendered = convert("Text.\n\n<!-- a note for authors -->\n\nMore <!-- inline note --> text.")
    assert "note" not in rendered.html and rendered.raw_html == ()


def test_admonitions_survive() -> None:
    html = render_markdown('!!! warning "Clinical warning"\n    Check the weight.\n\n!!! danger\n    Stop.')
    assert '<div class="admonition warning">' in html
    assert '<p class="admonition-title">Clinical warning</p>' in html
    assert '<div class="admonition danger">' in html


def test_admonition_classes_are_limited_to_known_types() -> None:
    html = render_markdown("!!! warning btn-danger hidden\n    Text.")
    assert '<div class="admonition warning">' in html


def test_table_alignment_becomes_classes() -> None:
    html = render_markdown("| L | C | R |\n| :-- | :-: | --: |\n| 1 | 2 | 3 |")
    assert '<th class="align-left">L</th>' in html
    assert '<th class="align-center">C</th>' in html
    assert '<td class="align-right">3</td>' in html
    assert "style" not in html


def test_footnotes_survive_with_prefixed_ids() -> None:
    html = render_markdown("Claim[^1].\n\n[^1]: Source.")
    assert '<sup id="c-fnref:1"><a class="footnote-ref" href="#c-fn:1">1</a></sup>' in html
    assert '<li id="c-fn:1">' in html
    assert 'class="footnote-backref" href="#c-fnref:1"' in html
    assert '<div class="footnote">' in html


def test_heading_ids_are_prefixed() -> None:
    html = render_markdown("# Dosing\n\n## Dosing\n\n[TOC]", heading_prefix="m1-")
    assert '<h1 id="m1-dosing">' in html and '<h2 id="m1-dosing_1">' in html
    assert 'href="#m1-dosing"' in html
    assert all(value.startswith("m1-") for value in re.findall(r'id="([^"]*)"', html))


def test_external_links_get_rel_and_internal_links_do_not() -> None:
    html = render_markdown("[a](https://example.org) [b](http://example.org) [c](02-next.md) "
                           "[d](mailto:team@example.org) <https://auto.example>")
    assert html.count('rel="noopener noreferrer"') == 3
    assert '<a href="02-next.md">c</a>' in html
    assert '<a href="mailto:team@example.org">d</a>' in html


def test_other_markdown_features() -> None:
    html = render_markdown("Term\n:   Definition\n\nThe WHO.\n\n*[WHO]: World Health Organization\n\n"
                           "3. three\n4. four\n\n~~~\ncode\n~~~")
    assert "<dl>" in html and "<dd>Definition</dd>" in html
    assert '<abbr title="World Health Organization">WHO</abbr>' in html
    assert '<ol start="3">' in html
    assert "<pre><code>code" in html


def test_resolve_image_rewrites_src_and_none_keeps_it() -> None:
    urls = {"images/a.png": "/media/abc"}
    html = render_markdown("![A](images/a.png) ![B](images/b.png)", resolve_image=urls.get)
    assert '<img alt="A" src="/media/abc">' in html
    assert '<img alt="B" src="images/b.png">' in html


def test_links_and_images_are_reported_with_lines() -> None:
    rendered = convert("Line one.\n\n[a](one.md) and ![pic](images/p.png)\n\n[b][ref]\n\n[ref]: two.md")
    assert [(f.value, f.line) for f in rendered.links] == [("one.md", 3), ("two.md", 7)]
    assert [(f.value, f.line, f.alt) for f in rendered.images] == [("images/p.png", 3, "pic")]


def test_email_autolinks_are_reported_as_mailto_links() -> None:
    rendered = convert("Line one.\n\nWrite to <help@example.org> with questions.")
    assert [(f.value, f.line) for f in rendered.links] == [("mailto:help@example.org", 3)]
    assert '<a href="mailto:help@example.org">help@example.org</a>' in rendered.html


def test_references_section_is_numbered() -> None:
    html = render_references(["First *ref*.", "Second, with [a link](https://example.org)."])
    assert html.startswith('<h2 id="c-reference-list">References</h2>')
    assert "<ol>\n<li>First <em>ref</em>.</li>" in html
    assert 'rel="noopener noreferrer"' in html
    assert render_references([]) == ""


def test_an_unclosed_html_block_is_reported_with_the_lines_it_takes() -> None:
    rendered = convert("Para one.\n\n<div>\n\nSecond para with [link](missing.md).\n\nMore text.\n")
    assert "Second para" not in rendered.html and rendered.raw_html == ()
    [lost] = rendered.lost_text
    assert lost.line == 3 and lost.value.startswith("'<div>' is never closed, so the 4 lines after it are read as raw HTML")


def test_a_closed_html_block_across_blank_lines_is_reported_too() -> None:
    rendered = convert("A\n\n<details>\n<summary>s</summary>\n\nHidden text.\n\n</details>\n\nC\n")
    [lost] = rendered.lost_text
    assert lost.line == 3 and "the raw HTML block '<details>' takes in the 5 lines after it" in lost.value
    assert convert("A\n\n<div>\nblock\n</div>\n\nB\n").lost_text == ()  # a plain block is only a warning
