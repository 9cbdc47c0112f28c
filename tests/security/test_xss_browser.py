"""Stored XSS, proven in Chromium: the payload corpus placed in every kind of stored data, every page
that shows it opened once normally and once with the Content-Security-Policy bypassed.

Where the payloads go:

* module Markdown (two modules and the course overview), quiz question text, general, right/wrong and
  per-choice feedback, rationale and reference, short-answer keys that the clinician then types in;
* course settings (title, summary, audience, objectives, accreditation), module titles, a dozen
  courses whose titles are payloads, a program whose title is one;
* clinicians' full name, credentials, profession, license number and state (created directly and by
  the CSV bulk import, whose group names are payloads too), certificate snapshots, the audit log;
* Markdown the checker rejects (``javascript:`` links and the like) cannot be imported, so it goes
  into an authoring draft and is opened in the editor, whose preview uses the same sanitiser.

A page fails when a dialog opens, ``window.__xss`` is defined, the title becomes ``XSS``, a console
message or page error carries a marker (or, with the policy in force, reports a blocked script), the
page shows an evaluated template expression, or its DOM holds anything that would run on interaction
(an ``on…`` attribute, a ``javascript:`` URL, a foreign script, an iframe…). Afterwards the stored data
must equal the payloads exactly: escaping happens on output, never by changing what was typed.
"""
from __future__ import annotations

import csv
import functools
import html
import io
import json
import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from academy.accounts.passwords import hash_password
from academy.content.model import normal_text
from academy.content.parse import parse_module, parse_quiz
from academy.content.render import convert
from academy.content.sync import Source, import_content
from academy.extensions import db
from academy.models import AuditEvent, Certificate, Course, Group, Program, User
from tests.conftest import BASE_CONFIG, PASSWORD
from tests.security.xss_payloads import (PAYLOADS, SINGLE_LINE, TEMPLATE_RESULT, TITLE_MARKER, fitting)

pytestmark = pytest.mark.browser
DATA = Path(__file__).resolve().parents[1] / "data" / "valid"
COURSE = "xss-course"
TITLE_COURSES = 12
PROFILE_LIMITS = {"full_name": 200, "credentials": 100, "profession": 100, "license_number": 64,
                  "license_state": 64}
FIELDS = tuple(PROFILE_LIMITS)
# Text that must never reach a console message: the traces the payloads leave when they run.
CONSOLE_MARKERS = ("__xss", "/XSS/", "alert(1)", "msgbox", TEMPLATE_RESULT)
ALLOWED_SCRIPTS = ("/static/quiz.js", "/static/editor.js")
SUMMARY: dict[str, object] = {}

# Runs in the page after it has loaded: lets queued events (onerror, ontoggle, autofocus) fire,
# then reports the traces and everything in the DOM that could run script.
PROBE = """async (allowed) => {
  await new Promise(resolve => setTimeout(resolve, 40));
  const found = [];
  const bad = value => /^(javascript|vbscript|data|livescript):/i.test((value || '').replace(/[\\x00-\\x20]/g, ''));
  for (const el of document.querySelectorAll('*')) {
    const tag = el.localName;
    const shown = el.outerHTML.slice(0, 160);
    if (tag === 'script') {
      const src = (el.getAttribute('src') || '').split('?')[0];
      if (!allowed.some(path => src.endsWith(path)) || el.textContent.trim()) found.push('script: ' + shown);
    }
    if (['iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'portal'].includes(tag))
      found.push(tag + ': ' + shown);
    if (tag === 'meta' && el.hasAttribute('http-equiv')) found.push('meta http-equiv: ' + shown);
    if (tag === 'link' && !(el.getAttribute('href') || '').startsWith('/static/')) found.push('link: ' + shown);
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) found.push('event handler ' + name + ': ' + shown);
      else if (name === 'srcdoc') found.push('srcdoc: ' + shown);
      else if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'background', 'poster', 'lowsrc',
                'dynsrc', 'codebase', 'cite'].includes(name) && bad(attr.value)) {
        const image = tag === 'img' && name === 'src' && /^data:image\\/(png|gif|jpeg|webp);/i.test(attr.value);
        if (!image) found.push('URL in ' + name + ': ' + shown);
      } else if (name === 'style' && /expression|javascript|url\\(|@import|behavior|binding/i.test(attr.value))
        found.push('style: ' + shown);
    }
  }
  const text = document.documentElement.textContent;
  return {flag: typeof window.__xss !== 'undefined', title: document.title, found: found,
          template: text.includes(%(result)r), secret: text.includes(%(secret)r)};
}""" % {"result": TEMPLATE_RESULT, "secret": BASE_CONFIG["SECRET_KEY"]}


# --------------------------------------------------------------------------- watching the browser

class Watch:
    """A browser context (normal, or with the CSP bypassed) that records every sign of script running."""

    def __init__(self, browser, base: str, mode: str, role: str):
        self.base, self.mode, self.role = base, mode, role
        self.context = browser.new_context(bypass_csp=mode == "bypass")
        self.context.set_default_timeout(10_000)
        # Dialogs still open and are recorded, but only a few per document: `<input autofocus
        # onfocus=alert(1)>` would otherwise open one after another for ever, and the test would hang
        # instead of failing.
        self.context.add_init_script("""(() => {
          const alert = window.alert.bind(window);
          let left = 3;
          window.alert = (...args) => { if (left-- > 0) alert(...args); };
        })();""")
        self.page = self.context.new_page()
        self.findings: list[str] = []
        self.visited: list[str] = []
        self.current = "(before the first page)"
        self.context.on("dialog", self._dialog)
        self.context.on("console", self._console)
        self.context.on("weberror", lambda error: self.note(f"page error: {error.error}"))
        self.context.on("response", self._response)

    def note(self, what: str) -> None:
        self.findings.append(f"[{self.mode}/{self.role}] {self.current}: {what}")

    def _dialog(self, dialog) -> None:
        self.note(f"a {dialog.type} dialog opened: {dialog.message!r}")
        dialog.dismiss()

    def _console(self, message) -> None:
        text = message.text
        if any(marker in text for marker in CONSOLE_MARKERS):
            self.note(f"console {message.type} with a payload marker: {text[:300]!r}")
        elif "Content Security Policy" in text and re.search(r"script|inline|eval|javascript", text, re.I):
            # Nothing inline is ever sent on purpose, so a blocked script is an injected one.
            self.note(f"the CSP blocked a script: {text[:300]!r}")

    def _response(self, response) -> None:
        if response.request.resource_type == "document" and response.status >= 400:
            self.note(f"HTTP {response.status} for {response.url}")

    def check(self, label: str) -> None:
        """Probe the page now shown (after its load event) and note what it reveals."""
        self.current = label
        self.page.wait_for_load_state("load")
        state = self.page.evaluate(PROBE, list(ALLOWED_SCRIPTS))
        self.visited.append(label)
        if state["flag"]:
            self.note("window.__xss is set")
        if state["title"] == TITLE_MARKER:
            self.note(f"document.title is {state['title']!r}")
        if state["template"]:
            self.note(f"the page shows {TEMPLATE_RESULT}: a template expression was evaluated")
        if state["secret"]:
            self.note("the page shows the SECRET_KEY: a template expression was evaluated")
        for item in state["found"]:
            self.note(f"dangerous DOM: {item}")

    def open(self, path: str, label: str | None = None) -> None:
        self.current = label or path
        self.page.goto(self.base + path)
        self.check(label or path)

    def press(self, button: str, url: str, label: str) -> None:
        """Press a button, wait for the page it leads to (`url`, a regular expression), and check that page."""
        self.current = label
        self.page.get_by_role("button", name=button).click()
        self.page.wait_for_url(re.compile(url))
        self.check(label)

    def sign_in(self, email: str) -> None:
        self.current = "sign in"
        self.page.goto(self.base + "/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(self.base + "/")
        self.check("/ (home)")

    def close(self) -> None:
        self.context.close()


# --------------------------------------------------------------------------- content with payloads

def yaml_text(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are YAML)."""
    return json.dumps(value)


def indented(text: str, by: int = 4) -> str:
    return text.replace("\n", "\n" + " " * by)


def markdown_blocks(payloads: list[str], label: str = "Payload") -> list[str]:
    """Each payload as its own block after a numbered sentence (which shows that nothing before
    it swallowed it)."""
    lines = []
    for number, payload in enumerate(payloads, start=1):
        lines += [f"{label} {number} follows.", "", payload, ""]
    return lines


@functools.lru_cache(maxsize=None)
def swallows(payload: str) -> bool:
    """Whether the payload opens a raw HTML block that takes the rest of the document with it
    (`<body …>`, `<details …>`): it is dropped safely, but would hide every payload after it."""
    return "SENTINEL" not in convert(f"Before.\n\n{payload}\n\nSENTINEL after.\n").html


def arrange(payloads: list[str], parts: int) -> list[list[str]]:
    """Split the payloads into `parts` documents, each with at most one swallowing payload, last
    (with one part, the other swallowing payloads are left out)."""
    last = [p for p in payloads if swallows(p)][:None if parts > 1 else 1]
    rest = [p for p in payloads if not swallows(p)]
    assert len(last) <= parts, f"more payloads swallow what follows them than there are documents: {last}"
    size = -(-len(rest) // parts)
    return [rest[i * size:(i + 1) * size] + last[i:i + 1] for i in range(parts)]


def question_block(number: int, payload: str) -> str:
    """A multiple-response question with the payload in every text it has."""
    p = indented(payload)
    return (f"Id: xss-{number:03d}\n"
            f"1.  Question {number}: {p}\n"
            f"... General {number}: {p}\n"
            f"+   Right {number}: {p}\n"
            f"-   Wrong {number}: {p}\n"
            f"[*] Choice A{number}: {p}\n"
            f"... Feedback A{number}: {p}\n"
            f"[*] Choice B{number}: {p}\n"
            f"... Feedback B{number}: {p}\n"
            f"[ ] Choice C{number}: {p}\n"
            f"... Feedback C{number}: {p}\n"
            f"Rationale: Because {number}: {p}\n"
            f"Reference: Ref {number}: {p}\n")


def kept(marker: str, text: str) -> str:
    """A quiz text as the parser keeps it (see parse._tokenize): lines are read with tabs expanded
    (tab stops every 4 columns, counted from the start of the line) and continuation lines lose their
    indentation — four columns, or all of it after 'Rationale:' and 'Reference:'."""
    first, *others = text.split("\n")
    lines = [(marker + first).expandtabs(4)[len(marker):]]
    for line in others:
        line = ("    " + line).expandtabs(4)[4:]
        lines.append(line.lstrip() if marker.endswith(": ") else line)
    return normal_text("\n".join(lines))


def expected_question(number: int, payload: str) -> dict:
    """What the normal form must keep of a payload question: every text as written."""
    return {"text": kept("1.  ", f"Question {number}: {payload}"),
            "general_feedback": kept("... ", f"General {number}: {payload}"),
            "correct_feedback": kept("+   ", f"Right {number}: {payload}"),
            "incorrect_feedback": kept("-   ", f"Wrong {number}: {payload}"),
            "rationale": kept("Rationale: ", f"Because {number}: {payload}"),
            "reference": kept("Reference: ", f"Ref {number}: {payload}"),
            "choices": [(kept("[*] ", f"Choice {c}{number}: {payload}"),
                         kept("... ", f"Feedback {c}{number}: {payload}")) for c in "ABC"]}


# Short-answer keys: the clinician types them, and the result page shows them back.
SHORT_ANSWERS = [p for p in fitting(100, single_line=True) if " ".join(p.split()) == p
                 and not p.startswith(("*", "=", "+", "-", "[", "...", "%"))][::9][:24]


@dataclass
class Content:
    markdown: list[str]  # payloads the checker accepts, in every Markdown text and question
    titles: dict[str, str]  # course slug -> payload title
    module_titles: list[str]
    settings_text: dict[str, str]
    program_title: str
    sources: dict[str, str]  # module file name -> Markdown body written
    overview: list[str]  # the payloads of the course overview
    modules: list[list[str]]  # the payloads of each module
    rejected: list[str] = field(default_factory=list)  # payloads the checker refuses


def write(path: Path, lines: list[str] | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(lines if isinstance(lines, str) else "\n".join(lines) + "\n", encoding="utf-8")


def write_content(root: Path, markdown: list[str]) -> Content:
    """The sample content plus the payload course, a dozen payload-titled courses and a program."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(DATA, root)
    courses, quizzes = root / "courses", root / "quizzes"
    titled = fitting(300, single_line=True)
    picks = list(titled[::max(1, len(titled) // (TITLE_COURSES + 18))])
    course_title, module_titles, summary, audience = picks[0], picks[1:4], picks[4], picks[5]
    accreditation = {"body": picks[6], "statement": picks[7], "credit_type": picks[8],
                     "provider_number": picks[9][:60], "course_number": picks[10][:60]}
    titles = {COURSE: course_title}

    folder = courses / COURSE
    (folder / "images").mkdir(parents=True)
    shutil.copy(DATA / "courses" / "sample-course" / "images" / "dot.png", folder / "images" / "dot.png")
    overview = arrange(markdown, 1)[0]
    write(folder / "course.md", [
        "---", f"title: {yaml_text(course_title)}", "version: 1.0.0", f"summary: {yaml_text(summary)}",
        f"audience: {yaml_text(audience)}", "objectives:", *(f"  - {yaml_text(o)}" for o in SINGLE_LINE),
        "pass_mark: 80", "attempt_wait_hours: 0", "shuffle: false", "review: after_each_attempt",
        "validity_months: 24", "accreditation:", f"  - body: {yaml_text(accreditation['body'])}",
        *(f"    {key}: {yaml_text(accreditation[key])}"
          for key in ("statement", "credit_type", "provider_number", "course_number")),
        "    credits: 1", "references:", *(f"  - {yaml_text(p)}" for p in markdown[:40] if "\n" not in p),
        "---", "", "## About the payloads", "", "Every block below is a cross-site scripting payload.", "",
        *markdown_blocks(overview)])

    sources, parts = {}, arrange(markdown, len(module_titles))
    for number, (title, part) in enumerate(zip(module_titles, parts), start=1):
        body = [f"## Part {number}", "", "Text before the payloads.", "", *markdown_blocks(part)]
        name = f"0{number}-part-{number}.md"
        write(folder / name, ["---", f"title: {yaml_text(title)}", "minutes: 5", "references:",
                              f"  - Payload module {number}.", "---", "", *body])
        sources[name] = "\n".join(body)

    questions = [question_block(number, payload) for number, payload in enumerate(markdown, start=1)]
    questions += [f"Id: xss-short-{number:02d}\n1.  Type the payload of short question {number}.\n"
                  f"*   {answer}\nRationale: Short answer {number}.\n"
                  for number, answer in enumerate(SHORT_ANSWERS, start=1)]
    write(quizzes / f"{COURSE}.md", "---\nminutes: 5\ntitle: Payload post-test\n---\n\n" + "\n".join(questions))

    # A dozen courses whose titles (and summaries, module titles) are payloads; the second needs the first.
    for number in range(1, TITLE_COURSES + 1):
        slug = f"xss-title-{number:02d}"
        title, other = picks[(10 + number) % len(picks)], picks[(10 + 2 * number) % len(picks)]
        titles[slug] = title
        prerequisites = "\nprerequisites:\n  - xss-title-01" if number == 2 else ""
        write(courses / slug / "course.md",
              f"---\ntitle: {yaml_text(title)}\nversion: 1.0.0\nsummary: {yaml_text(other)}\n"
              f"audience: {yaml_text(other)}\nobjectives:\n  - {yaml_text(title)}{prerequisites}\n---\n\n"
              "A course with a payload for a title.\n")
        write(courses / slug / "01-only.md",
              f"---\ntitle: {yaml_text(other)}\nminutes: 30\nreferences:\n  - Title course {number}.\n---\n\n"
              "Nothing to see.\n")
        write(quizzes / f"{slug}.md",
              f"---\nminutes: 5\n---\n\nId: only-{number}\n1.  Is this course number {number}?\n*a) Yes\n"
              "b)  No\nRationale: It is.\n")
    program_title = picks[-1]
    write(courses / "programs.yml",
          "programs:\n  - slug: sample-program\n    title: Sample Program\n    summary: The sample course and "
          "its follow-up.\n    courses: [sample-course, follow-up-course]\n"
          f"  - slug: xss-program\n    title: {yaml_text(program_title)}\n    summary: {yaml_text(picks[-2])}\n"
          "    courses: [xss-title-03, xss-title-04]\n")
    return Content(markdown, titles, module_titles, {"summary": summary, "audience": audience, **accreditation},
                   program_title, sources, overview, parts)


def refused(payload: str, folder: Path) -> list[str]:
    """The checker's errors for the payload alone, in a module and in a question of this course."""
    module = f"---\ntitle: x\nminutes: 1\nreferences:\n  - x\n---\n\n{payload}\n"
    quiz = f"---\nminutes: 1\n---\n\nId: q\n1.  Q {indented(payload)}\n*a) A\nb)  B\nRationale: R\n"
    problems = [*parse_module(module, "01-x.md", course_dir=folder)[1],
                *parse_quiz(quiz, f"quizzes/{COURSE}.md", course_dir=folder)[1]]
    return [p.message for p in problems if p.severity == "error"]


def build_content(root: Path) -> Content:
    """Write the content and import it. Payloads the checker refuses (links and images only: any other
    refusal fails the test) are left out of it; they go to the draft instead."""
    write_content(root, [])  # the course folder, for the checks of links and images
    rejected = {payload: refused(payload, root / "courses" / COURSE) for payload in PAYLOADS}
    rejected = {payload: errors for payload, errors in rejected.items() if errors}
    for payload, errors in rejected.items():
        assert all(e.startswith(("link '", "image '")) for e in errors), (payload, errors)
    accepted = [p for p in PAYLOADS if p not in rejected]
    content = write_content(root, accepted)
    report = import_content([Source(root / "courses", root / "quizzes")])
    assert not report.errors, "\n".join(map(str, report.errors))
    content.rejected = list(rejected)
    return content


# --------------------------------------------------------------------------- people with payloads

def rotation(field_name: str, offset: int):
    pool = fitting(PROFILE_LIMITS[field_name])
    return lambda index: pool[(index + offset) % len(pool)]


def profile_for(index: int) -> dict[str, str]:
    """Payload profile fields for the index-th clinician: every field gets a different payload."""
    values = {"full_name": PAYLOADS[index % len(PAYLOADS)]}
    for offset, name in enumerate(FIELDS[1:], start=1):
        values[name] = rotation(name, 37 * offset)(index)
    return values


def profile_steps() -> list[dict[str, str]]:
    """Profiles that together put every payload into a profile form field (longest ones into the name)."""
    steps: list[dict[str, str]] = []
    for payload in sorted(PAYLOADS, key=len, reverse=True):
        for step in steps:
            free = [n for n in FIELDS if n not in step and len(payload) <= PROFILE_LIMITS[n]]
            if free:
                step[free[-1]] = payload
                break
        else:
            steps.append({"full_name": payload})
    for step in steps:
        for name in FIELDS:
            step.setdefault(name, "x")
    return steps


def make_clinician(email: str, password_hash: str, values: dict[str, str]) -> User:
    from academy.models.base import utcnow

    user = User(email=email, role="clinician", password_hash=password_hash, email_verified_at=utcnow(), **values)
    db.session.add(user)
    return user


# --------------------------------------------------------------------------- answering the quiz

ANSWER = """(answers) => {
  for (const [name, wanted] of Object.entries(answers)) {
    for (const input of document.querySelectorAll(`input[name="${name}"]`)) {
      if (input.type === 'checkbox' || input.type === 'radio') input.checked = wanted.includes(input.value);
      else input.value = wanted[0];
    }
  }
  return document.querySelectorAll('fieldset.question').length;
}"""


def answers_for(keys: dict[str, dict], correct: bool) -> dict[str, list[str]]:
    answers = {}
    for qid, key in keys.items():
        if key["type"] == "short":
            answers[f"q-{qid}"] = [key["typed"] if correct else "not this"]
        else:
            answers[f"q-{qid}"] = list(key["correct"]) if correct else [c for c in "abc" if c not in key["correct"]]
    return answers


# --------------------------------------------------------------------------- the test

def test_the_corpus_is_large_and_executable():
    assert len(PAYLOADS) >= 200
    assert len(set(PAYLOADS)) == len(PAYLOADS)
    runnable = [p for p in PAYLOADS if re.search(r"alert\(1\)|window\.__xss=1|document\.title=/XSS/", p)]
    assert len(runnable) >= 200
    for needle in ("<scr<script>ipt>", "ontoggle", "onfocus", "onmouseover", "srcdoc", "<object", "<embed",
                   "<form action", "http-equiv", "<base", "expression(", "&#106;avascript", "&#x6A;", "java\tscript",
                   "JaVaScRiPt", "vbscript:", "data:text/html", "<svg", "<math", "[x](javascript:",
                   "[x]( javascript:", "<javascript:", "![x](javascript:", "[^f", "!!! warning", "{{1337*1337}}",
                   "${alert(1)}", "=HYPERLINK(", "@SUM", '"><'):
        assert any(needle in p for p in PAYLOADS), needle


def test_the_checker_detects_script_that_runs(browser):
    """The detection itself: each kind of trace, in the context that bypasses the CSP, is noticed."""
    watch = Watch(browser, "", "bypass", "self-check")
    try:
        cases = {
            "<script>window.__xss=1</script>": "window.__xss is set",
            "<img src=x onerror=alert(1)>": "dialog opened",
            "<details open ontoggle=document.title=/XSS/.source>": "document.title is 'XSS'",
            "<p>1787569</p>": "template expression",
            '<a href="java&#x09;script:void(0)">x</a>': "URL in href",
            '<p onclick="void(0)">x</p>': "event handler onclick",
            '<iframe srcdoc="x"></iframe>': "srcdoc",
            "<script>console.log('__xss')</script>": "payload marker",
        }
        for html, expected in cases.items():
            before = len(watch.findings)
            watch.page.close()
            watch.page = watch.context.new_page()
            watch.current = html
            watch.page.set_content(html)
            watch.check(html)
            assert any(expected in f for f in watch.findings[before:]), (html, watch.findings[before:])
        clean = len(watch.findings)
        watch.page.close()
        watch.page = watch.context.new_page()
        watch.page.set_content("<p>&lt;script&gt;alert(1)&lt;/script&gt; is only text</p>")
        watch.check("escaped text")
        assert len(watch.findings) == clean, watch.findings[clean:]
    finally:
        watch.close()


def test_stored_payloads_never_run_and_stay_intact(app, browser, live_server, tmp_path, make_user, monkeypatch):
    from academy.accounts.service import Profile, authenticate
    from academy.admin.people import bulk_import
    from academy.audit import clean
    from academy.author import drafts
    from academy.learning import certificates as certs
    from academy.learning.records import update_profile
    from academy.models import Attempt, Question
    from academy.models.user import normalise_email
    from tests.web.test_admin import certify

    started = time.monotonic()
    content = build_content(tmp_path / "content")
    courses = {c.slug: c for c in db.session.scalars(db.select(Course))}
    course = courses[COURSE]
    # Every payload reached the renderer on its own: nothing before it swallowed it.
    for module, part in zip(course.current_version.modules, content.modules):
        assert all(f"Payload {n} follows." in module.html for n in range(1, len(part) + 1)), module.position
    assert all(f"Payload {n} follows." in course.current_version.overview_html
               for n in range(1, len(content.overview) + 1))
    admin = make_user("administrator", email="admin@example.org")
    shared_hash = hash_password(PASSWORD)

    # Clinicians: half created directly, half by the CSV import; every field a payload.
    direct, imported = {}, {}
    for index in range(0, len(PAYLOADS), 2):
        direct[f"direct{index:03d}@example.org"] = profile_for(index)
    for email, values in direct.items():
        make_clinician(email, shared_hash, values)
    learners = {}
    for mode, index in (("normal", 1), ("bypass", 3)):
        learners[mode] = make_clinician(f"learner-{mode}@example.org", shared_hash, profile_for(index))
    db.session.commit()
    group_names = [p for p in fitting(200, single_line=True) if ";" not in p][5::40][:8]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "full_name", "credentials", "profession", "license_number", "license_state", "groups"])
    for index in range(1, len(PAYLOADS), 2):
        values = profile_for(index)
        imported[f"imported{index:03d}@example.org"] = values
        writer.writerow([f"imported{index:03d}@example.org", *(values[n] for n in FIELDS),
                         group_names[index % len(group_names)]])
    # bulk_import gives each account an unusable random password; hashing hundreds with scrypt is slow
    # and beside the point here, so every one gets the same hash.
    monkeypatch.setattr("academy.accounts.passwords.hash_password", lambda password: shared_hash)
    created, errors = bulk_import(admin, out.getvalue())
    monkeypatch.undo()
    assert not errors and created == len(imported), errors[:5]

    # Certificates: payload holders on payload-titled courses, one of them completing the payload program.
    users = {u.email: u for u in db.session.scalars(db.select(User))}
    holders = [users[e] for e in sorted(direct)[::25]] + [users[e] for e in sorted(imported)[::25]]
    expires = date.today() + timedelta(days=300)
    for number, holder in enumerate(holders):
        certify(holder, courses[f"xss-title-{3 + number % 8:02d}"], expires_on=expires)
    certify(holders[0], courses["xss-title-04"], expires_on=expires)
    for learner in learners.values():
        for slug in ("xss-title-03", "xss-title-05"):
            certify(learner, courses[slug], expires_on=expires)
    codes = [c.code for c in db.session.scalars(db.select(Certificate).order_by(Certificate.id))]
    revoked = db.session.scalar(db.select(Certificate).where(Certificate.user_id == holders[1].id))
    certs.revoke(admin, revoked, PAYLOADS[7])

    # The audit log: failed sign-ins with payloads typed as the email address.
    audit_payloads = list(SINGLE_LINE[::40])
    for payload in audit_payloads:
        assert authenticate(payload, "not the password") is None
    db.session.commit()

    # Markdown the checker refuses cannot be published; it goes into a draft module, whose editor shows
    # it (as source, and in the list of problems) — the preview of a text with errors stays empty.
    draft = drafts.draft_for(admin, course)
    module_name = next(n for n in drafts.modules(draft) if n.startswith("02-"))
    # (They go first: the module ends with a payload that swallows whatever follows it.)
    front, body = draft.files[module_name].split("\n---\n", 1)
    draft_module = "\n".join([front, "---", "", *markdown_blocks(content.rejected, "Refused"), body])
    drafts.save_file(admin, course, draft, module_name, draft_module, draft.revisions.get(module_name, 0))

    # The answer key, read now so the browser never waits on the test's database session.
    keys = {}
    for question in db.session.scalars(db.select(Question).where(Question.version_id == course.current_version_id)):
        key = {"type": question.type, "correct": question.answer_key.get("correct", [])}
        if question.type == "short":
            key["typed"] = question.answer_key["accepted"][0]
        keys[question.qid] = key
    user_ids = {email: users[email].id for email in (*sorted(direct)[::60], *sorted(imported)[::60])}
    user_ids.update({u.email: u.id for u in learners.values()})
    learner_ids = {mode: learner.id for mode, learner in learners.items()}
    steps = profile_steps()
    users_total = db.session.scalar(db.select(db.func.count(User.id)))
    clinicians_total = db.session.scalar(db.select(db.func.count(User.id)).where(User.role == "clinician"))
    db.session.rollback()  # hold no transaction while the server works
    # The verification page is rate-limited per address (against enumerating codes); every page here
    # comes from 127.0.0.1, so the limit is raised for this test.
    app.config["ACADEMY_VERIFY_LIMIT"] = "1000 per minute"
    setup_seconds = time.monotonic() - started
    timings: dict[str, float] = {}

    findings: list[str] = []
    visited: dict[str, int] = {}
    for mode in ("normal", "bypass"):
        # ------------------------------------------------------------ the clinician's side
        lap = time.monotonic()
        watch = Watch(browser, live_server, mode, "clinician")
        page = watch.page
        watch.sign_in(f"learner-{mode}@example.org")
        watch.open("/courses", "catalog")
        watch.open("/courses/xss-title-02", "course page with a missing prerequisite")
        watch.open(f"/courses/{COURSE}", "course page, not started")
        watch.press("Start the course", r".*/modules/1$", "module 1")
        for position in (2, 3):
            watch.press("Mark complete and continue", rf".*/modules/{position}$", f"module {position}")
        watch.press("Mark complete", rf".*/courses/{COURSE}$", "course page, modules done")
        watch.press("Start the post-test", r".*/attempts/", "post-test attempt 1")
        assert page.evaluate(ANSWER, answers_for(keys, correct=False)) == len(keys)
        page.get_by_role("button", name="Submit for grading").click()
        page.get_by_text("did not pass").first.wait_for()
        watch.check("result, failed (review of the wrong answers)")
        watch.open(f"/courses/{COURSE}", "course page, after failing")
        watch.press("Start another attempt", r".*/attempts/", "post-test attempt 2")
        page.evaluate(ANSWER, answers_for(keys, correct=True))
        page.get_by_role("button", name="Submit for grading").click()
        page.get_by_text("Continue to the course evaluation").wait_for()
        assert "100.0%" in page.content()
        watch.check("result, passed (review with feedback and rationales)")
        watch.open(f"/courses/{COURSE}/evaluation", "evaluation form")
        watch.open("/learning", "my learning")
        watch.open("/learning/transcript", "transcript")
        # The profile form: every payload in an input's value, five at a time.
        learner = db.session.get(User, learner_ids[mode])
        shown_ok = 0
        for number, step in enumerate(steps if mode == "bypass" else steps[:3], start=1):
            update_profile(learner, Profile(**step))
            db.session.rollback()
            watch.open("/profile", f"profile {number}")
            values = page.evaluate("names => names.map(n => document.getElementById(n).value)", list(FIELDS))
            expected = [re.sub(r"[\r\n]", "", step[n]) for n in FIELDS]  # text inputs drop line breaks
            if values != expected:
                watch.note(f"the form does not show the stored values: {values!r} instead of {expected!r}")
            shown_ok += 1
        watch.open("/", "home, welcome with the name")
        findings += watch.findings
        visited[f"{mode}/clinician"] = len(watch.visited)
        watch.close()
        timings[f"{mode}/clinician"], lap = round(time.monotonic() - lap, 1), time.monotonic()

        # ------------------------------------------------------------ the administrator's side
        watch = Watch(browser, live_server, mode, "administrator")
        page = watch.page
        watch.sign_in("admin@example.org")
        watch.open("/admin/", "dashboard")
        names_seen: list[str] = []
        matrix_pages = -(-clinicians_total // 50)
        for number in range(1, matrix_pages + 1):
            watch.open(f"/admin/matrix?page={number}", f"matrix page {number}")
            if number == 1:
                headers = page.eval_on_selector_all("table.matrix thead th", "cells => cells.map(c => c.textContent)")
                for slug, title in content.titles.items():
                    if title not in headers:
                        watch.note(f"the column of {slug} is not headed by its title as typed: {title!r}")
            names_seen += page.eval_on_selector_all("table.matrix tbody th a", "links => links.map(a => a.textContent)")
        user_pages = -(-users_total // 50)
        for number in range(1, user_pages + 1):
            watch.open(f"/admin/users?page={number}", f"users page {number}")
            names_seen += page.eval_on_selector_all("table tbody td:first-child a",
                                                    "links => links.map(a => a.textContent)")
        expected_names = [v["full_name"] for v in (*direct.values(), *imported.values())]
        missing = [n for n in expected_names if names_seen.count(n) < 2]
        for name in missing:
            watch.note(f"a name is not shown as typed on the matrix and users pages: {name!r}")
        for email, user_id in user_ids.items():
            watch.open(f"/admin/users/{user_id}", f"user page of {email}")
        for code in codes[:3] + codes[-2:]:
            watch.open(f"/admin/certificates/{code}", f"certificate page {code}")
        watch.open("/admin/audit", "audit log")
        watch.open("/admin/audit?action=login.failure", "audit log, failed sign-ins")
        watch.open("/admin/reports", "reports")
        watch.open("/courses", "catalog (administrator)")
        # Reflected, for good measure: filters echo what was typed into their fields.
        for payload in ('"><img src=x onerror=alert(1)>', "</title><script>alert(1)</script>"):
            watch.open(f"/admin/users?q={quote(payload)}", "users search with a payload")
            watch.open(f"/admin/matrix?q={quote(payload)}&profession={quote(payload)}&state={quote(payload)}",
                       "matrix filters with a payload")
            watch.open(f"/admin/audit?action={quote(payload)}&actor={quote(payload)}", "audit filters with a payload")
        # Authoring: the draft with every refused payload, in the editor and its previews.
        watch.open("/author/", "authoring index")
        watch.open(f"/author/{COURSE}", "authoring course page (problems listed)")
        for name in ("01-part-1.md", drafts.QUIZ, module_name):
            watch.open(f"/author/{COURSE}/files/{name}", f"editor {name}")
            if page.locator("textarea#text").count() != 1 or page.locator("#preview").count() != 1:
                watch.note("the editor's text area or preview is gone: the page's markup was broken")
                continue
            if name == module_name:
                if page.locator("#text").input_value() != draft_module:
                    watch.note("the editor does not show the draft's text as saved")
                problems = page.locator("#problems").text_content()
                if problems.count(": error: link '") + problems.count(": error: image '") < len(content.rejected):
                    watch.note("the editor does not list a problem for every refused payload")
                continue
            # The live preview: the server's sanitised HTML put into the page with innerHTML.
            page.evaluate("() => { document.querySelector('#preview').appendChild(document.createElement('i')).id = 'stale'; }")
            with page.expect_response(lambda r: r.url.endswith("/preview")):
                page.locator("#text").press("End")
                page.locator("#text").type(" ")
            page.wait_for_function("() => !document.getElementById('stale')")
            watch.check(f"editor {name}, live preview")
        findings += watch.findings
        visited[f"{mode}/administrator"] = len(watch.visited)
        watch.close()
        timings[f"{mode}/administrator"], lap = round(time.monotonic() - lap, 1), time.monotonic()

        # ------------------------------------------------------------ the public verification page
        watch = Watch(browser, live_server, mode, "signed out")
        for code in codes:
            watch.open(f"/verify/{code}", f"verify {code}")
        findings += watch.findings
        visited[f"{mode}/signed out"] = len(watch.visited)
        watch.close()
        timings[f"{mode}/signed out"] = round(time.monotonic() - lap, 1)

    # ---------------------------------------------------------------- stored data is intact
    db.session.rollback()
    by_email = {u.email: u for u in db.session.scalars(db.select(User))}
    for email, values in (*direct.items(), *imported.items()):
        stored = {n: getattr(by_email[email], n) for n in FIELDS}
        assert stored == values, (email, stored, values)
    stored_groups = set(db.session.scalars(db.select(Group.name)))
    assert set(group_names) <= stored_groups
    courses = {c.slug: c for c in db.session.scalars(db.select(Course))}
    for slug, title in content.titles.items():
        assert courses[slug].current_version.title == title
    assert db.session.scalar(db.select(Program.title).where(Program.slug == "xss-program")) == content.program_title
    version = courses[COURSE].current_version
    form = version.normal_form
    assert version.summary == content.settings_text["summary"]
    assert version.settings["objectives"] == list(SINGLE_LINE)
    assert form["settings"]["audience"] == content.settings_text["audience"]
    accreditation = form["settings"]["accreditation"][0]
    for key in ("body", "statement", "credit_type", "provider_number", "course_number"):
        assert accreditation[key] == content.settings_text[key], key
    assert [m["title"] for m in form["modules"]] == content.module_titles
    for module in form["modules"]:
        assert module["body"] == normal_text(content.sources[f"{module['number']:02d}-{module['slug']}.md"]), module["slug"]
    assert all(normal_text(p) in form["overview"] for p in content.overview)
    questions = {q["id"]: q for q in form["quiz"]["questions"]}
    for number, payload in enumerate(content.markdown, start=1):
        stored, wanted = questions[f"xss-{number:03d}"], expected_question(number, normal_text(payload))
        assert [(c["text"], c["feedback"]) for c in stored["choices"]] == wanted.pop("choices"), number
        assert {k: stored[k] for k in wanted} == wanted, number
    for number, answer in enumerate(SHORT_ANSWERS, start=1):
        assert questions[f"xss-short-{number:02d}"]["accepted"] == [answer]
    for learner_id in learner_ids.values():
        last = db.session.scalars(db.select(Attempt).where(Attempt.user_id == learner_id)
                                  .order_by(Attempt.number.desc())).first()
        assert last.passed
        for number, answer in enumerate(SHORT_ANSWERS, start=1):
            assert last.answers[f"xss-short-{number:02d}"] == answer
    draft = drafts.draft_for(admin, courses[COURSE])
    assert draft.files[module_name] == draft_module
    for certificate in db.session.scalars(db.select(Certificate).where(Certificate.kind == "course")):
        holder = db.session.get(User, certificate.user_id)
        if certificate.user_id not in learner_ids.values():
            assert certificate.snapshot["holder_name"] == holder.full_name
        assert certificate.snapshot["course_title"] == content.titles[
            next(s for s, c in courses.items() if c.id == certificate.course_id)]
    labels = set(db.session.scalars(db.select(AuditEvent.actor_label).where(AuditEvent.action == "login.failure")))
    assert {clean(normalise_email(p)) for p in audit_payloads} <= labels
    assert db.session.get(Certificate, revoked.id).revoked_reason == PAYLOADS[7]

    SUMMARY.update(payloads=len(PAYLOADS), in_markdown_and_quiz=len(content.markdown), refused=len(content.rejected),
                   visited=visited, setup_seconds=round(setup_seconds, 1), timings=timings,
                   seconds=round(time.monotonic() - started, 1))
    print("\nXSS suite:", json.dumps(SUMMARY))
    assert not findings, f"{len(findings)} signs of script running:\n" + "\n".join(findings[:80])
