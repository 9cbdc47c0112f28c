"""Moodle GIFT question files to and from Academy's quiz Markdown (pure functions, no Flask).

`gift_to_markdown` reads GIFT the way Moodle's own importer does: blank lines
separate questions, lines starting with `//` are comments, a backslash escapes
the control characters `~ = # { } :` and itself, and `\\n` is a new line. Each
supported question becomes an Academy question block; unsupported ones (essay,
matching, description, partial credit Academy cannot express) are skipped
with a warning at their line, and a malformed supported question fails the
whole import with an error at its line. The Markdown written is checked with
Academy's own quiz parser before it is returned, and its problems are
reported at the GIFT lines they come from.

`markdown_to_gift` writes a parsed pool as GIFT that Moodle can import. What
GIFT cannot say travels in `// academy <field>: <value>` comment lines, which
Moodle ignores and `gift_to_markdown` reads back, so exporting then importing
a pool gives the same questions. docs/questions.md has the whole mapping.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

from academy.content.model import ChoiceDoc, NumericKey, Problem, QuestionDoc, QuizDoc, normal_text
from academy.content.parse import SLUG_RE, parse_quiz

DEFAULT_PATH = "questions.gift"
PLACEHOLDER_RATIONALE = ("To be written: why the keyed answer is right. (The GIFT question had no general "
                         "feedback to use as the rationale.)")
MAX_ID_LENGTH = 100  # the questions.qid column
_SLUG_LENGTH = 40
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


class _Malformed(Exception):
    """A supported question that cannot be read: the whole import fails."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.message, self.offset = message, offset


class _Unsupported(Exception):
    """A question Academy has no equivalent for: skipped with a warning."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.message, self.offset = message, offset


# --------------------------------------------------------------------------- escapes

# Each escape becomes one private-use character while the structure is read, so every
# `~ = # { } :` left in the text is structure; `_literal` turns the placeholders back.
_ESCAPABLE = "\\:#={}~n"
_PLACEHOLDERS = {char: chr(0xE000 + index) for index, char in enumerate(_ESCAPABLE)}
_ESCAPE_RE = re.compile(r"\\([\\:#={}~n])")
_PLACEHOLDER_RE = re.compile("[\uE000-\uE007]")
_LITERAL = str.maketrans({placeholder: "\n" if char == "n" else char for char, placeholder in _PLACEHOLDERS.items()})
_ESCAPE_OUT = str.maketrans({"\\": "\\\\", "~": "\\~", "=": "\\=", "#": "\\#", "{": "\\{", "}": "\\}",
                             ":": "\\:", "\n": "\\n"})


def _hide_escapes(text: str) -> str:
    return _ESCAPE_RE.sub(lambda match: _PLACEHOLDERS[match.group(1)], text)


def _literal(text: str) -> str:
    return text.translate(_LITERAL)


def _escape(text: str) -> str:
    """GIFT spelling of a text: control characters escaped, new lines as `\\n` (one physical line)."""
    return text.translate(_ESCAPE_OUT)


# --------------------------------------------------------------------------- GIFT → Academy Markdown


def gift_to_markdown(text: str, *, existing_ids: Collection[str], id_prefix: str, path: str = DEFAULT_PATH,
                     first_number: int = 1) -> tuple[str, list[Problem]]:
    """Academy question blocks for every supported GIFT question, and the problems at their GIFT lines.

    The Markdown is "" when there is any error. New questions get the Id
    `<id_prefix>-<slug of the name or text>`, unique against `existing_ids`;
    a question name that is already a valid Id (as `markdown_to_gift` writes
    them) is kept. Questions are numbered from `first_number`.
    """
    if not SLUG_RE.match(id_prefix):
        raise ValueError(f"id_prefix {id_prefix!r} is not a slug")
    if match := _PLACEHOLDER_RE.search(text):
        line = text.count("\n", 0, match.start()) + 1
        return "", [Problem(path, line, "error", f"the character U+{ord(match.group()):04X} is reserved; remove it")]
    reader = _Reader(path, existing_ids, id_prefix)
    entries = [entry for block in _blocks(text) if (entry := reader.read(block)) is not None]
    if not any(isinstance(entry, QuestionDoc) for entry in entries) and not _has_errors(reader.problems):
        reader.problems.append(Problem(path, 1, "error", "the file has no question that Academy can import"))
    markdown, starts = _write_entries(entries, first_number)
    if starts:  # Academy's own check of the questions that could be read, so every error shows in one run
        reader.problems += _check_markdown(markdown, starts, path)
    return ("" if _has_errors(reader.problems) else markdown), sorted(reader.problems)


def _has_errors(problems: Sequence[Problem]) -> bool:
    return any(problem.severity == "error" for problem in problems)


@dataclass(frozen=True)
class _Block:
    """One question's lines: comment lines emptied (so offsets still map to lines), escapes hidden."""

    line: int
    text: str
    notes: dict[str, tuple[str, int]]  # `// academy <field>: <value>` comments: field → (value, line)


_NOTE_RE = re.compile(r"//\s*academy\s+([a-z-]+):\s*(.*)\Z")
_NOTE_FIELDS = ("general-feedback", "correct-feedback", "incorrect-feedback", "reference", "tolerance", "weights")


def _blocks(text: str) -> list[_Block]:
    """Questions are separated by blank lines; lines are trimmed, as Moodle does."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[_Block] = []
    current: list[str] = []
    notes: dict[str, tuple[str, int]] = {}
    start = 1
    for number, raw in enumerate([*lines, ""], start=1):
        line = raw.strip()
        if not line:
            if any(current):
                blocks.append(_Block(start, _hide_escapes("\n".join(current)), notes))
            current, notes = [], {}
            continue
        if not current:
            start = number
        if line.startswith("//"):
            if match := _NOTE_RE.match(line):
                notes[match.group(1)] = (_literal(_hide_escapes(match.group(2))), number)
            line = ""
        current.append(line)
    return blocks


class _Reader:
    """Reads one block at a time into a question, a category, or nothing (with problems)."""

    def __init__(self, path: str, existing_ids: Collection[str], id_prefix: str):
        self.path = path
        self.prefix = id_prefix
        self.used = set(existing_ids)
        self.problems: list[Problem] = []
        self.block = _Block(1, "", {})

    def line_at(self, offset: int) -> int:
        return self.block.line + self.block.text.count("\n", 0, offset)

    def warning(self, offset: int, message: str) -> None:
        self.problems.append(Problem(self.path, self.line_at(offset), "warning", message))

    def read(self, block: _Block) -> QuestionDoc | str | None:
        self.block = block
        try:
            return self._read(block.text)
        except _Malformed as exc:
            self.problems.append(Problem(self.path, self.line_at(exc.offset), "error", exc.message))
        except _Unsupported as exc:
            self.warning(exc.offset, exc.message + "; skipped")
        return None

    def _read(self, text: str) -> QuestionDoc | str | None:
        start = len(text) - len(text.lstrip())
        if text.startswith("$CATEGORY:", start):
            return _literal(text[start + len("$CATEGORY:"):]).strip()
        name, start = self._name(text, start)
        opening, closing = self._braces(text, start)
        answer = text[opening + 1:closing]
        after = text[closing + 1:]
        question_text = text[start:opening] + ("_____" + after if after.strip() else "")
        general_at = answer.rfind("####")
        general = answer[general_at + 4:] if general_at >= 0 else ""
        answer = answer[:general_at] if general_at >= 0 else answer
        text_format, text_md = self._text(question_text, "moodle", start)
        if not text_md:
            raise _Malformed("the question has no text before its answer '{…}'", start)
        fields = {"text_md": text_md, "line": self.line_at(start),
                  "rationale_md": self._text(general, text_format, opening)[1] if general.strip() else ""}
        fields.update(self._answer(answer, opening + 1, text_format))
        fields.update(self._notes(fields))
        if not fields["rationale_md"]:
            fields["rationale_md"] = PLACEHOLDER_RATIONALE
            self.warning(start, "no general feedback ('####') to use as the rationale: a placeholder was written; "
                                "replace it with why the keyed answer is right")
        fields["id"] = self._id(name, text_md, start)
        return QuestionDoc(text_html="", **fields)

    def _name(self, text: str, start: int) -> tuple[str, int]:
        if not text.startswith("::", start):
            return "", start
        end = text.find("::", start + 2)
        if end < 0:
            raise _Malformed("the question name after '::' is never closed: end it with '::' (write '\\:' for a "
                             "colon inside the name)", start)
        name = " ".join(_literal(text[start + 2:end]).split())
        rest = end + 2
        return name, rest + len(text[rest:]) - len(text[rest:].lstrip())

    def _braces(self, text: str, start: int) -> tuple[int, int]:
        opening, closing = text.find("{", start), text.find("}", start)
        if opening < 0 and closing < 0:
            raise _Unsupported("a description (text with no answer in braces) is not a question", start)
        if opening < 0 or (0 <= closing < opening):
            raise _Malformed("'}' without an opening '{' before it; write '\\}' for a literal brace", closing)
        if closing < 0:
            raise _Malformed("'{' is never closed: end the answer with '}' (write '\\{' for a literal brace)",
                             opening)
        extra = min((i for i in (text.find("{", opening + 1), text.find("}", closing + 1)) if i >= 0), default=-1)
        if extra >= 0:
            raise _Malformed("a question has one answer in braces; write '\\{' and '\\}' for literal braces in "
                             "the text", extra)
        return opening, closing

    def _text(self, raw: str, default_format: str, offset: int) -> tuple[str, str]:
        """(format, Markdown) of a text in GIFT; problems of the conversion are reported as warnings."""
        text_format, body = _format_of(_literal(raw).strip(), default_format)
        markdown, dropped = _to_markdown(body, text_format)
        if dropped:
            self.warning(offset, f"Academy's Markdown has no equivalent for {', '.join(sorted(dropped))} in this "
                                 f"{text_format.upper()} text: removed, keeping the text around them; check the "
                                 "question")
        return text_format, markdown

    def _answer(self, answer: str, offset: int, text_format: str) -> dict:
        """The answer's fields by question type, detected the way Moodle detects it."""
        stripped = answer.strip()
        if not stripped:
            raise _Unsupported("essay questions ('{}') are not supported: every question must be graded "
                               "automatically", offset)
        if stripped.startswith("#"):
            return self._numeric(answer[answer.index("#") + 1:], offset + answer.index("#") + 1, text_format)
        if "~" in answer:
            return self._choices(answer, offset, text_format)
        if "=" in answer and "->" in answer:
            raise _Unsupported("matching questions ('=a -> b') are not supported; rewrite them as single-choice "
                               "questions", offset)
        if stripped.split("#", 1)[0].strip() in _TRUE_FALSE:
            return self._true_false(stripped, offset, text_format)
        return self._short(answer, offset, text_format)

    # ------------------------------------------------------------------ answer types

    def _choices(self, answer: str, offset: int, text_format: str) -> dict:
        parts = _parts(answer, offset, "~=", hint="; start each answer with '=' (the right one) or '~' (a wrong "
                                                  "or weighted one, like '~%50%')")
        if len(parts) < 2:
            raise _Malformed("a multiple-choice question needs at least two answers ('=right ~wrong')", offset)
        read = [self._choice_part(part, text_format) for part in parts]
        if any(part.marker == "=" for part in parts):
            return self._single(parts, read)
        return self._multiple(read)

    def _choice_part(self, part: _Part, text_format: str) -> tuple[float | None, str, str]:
        weight, body = _weight(part)
        if part.marker == "=" and weight is not None:
            raise _Malformed("'=' marks the right answer and takes no weight; write '~%50%…' for a weighted "
                             "answer of a multiple-response question", part.offset)
        text, _, feedback = body.partition("#")
        choice_md = self._text(text, text_format, part.offset)[1]
        if not choice_md:
            raise _Malformed("this answer has no text", part.offset)
        feedback_md = self._text(feedback, text_format, part.offset)[1] if feedback.strip() else ""
        return weight, choice_md, feedback_md

    def _single(self, parts: list[_Part], read: list) -> dict:
        right = [part for part in parts if part.marker == "="]
        if len(right) > 1 or any(weight for weight, _, _ in read):
            raise _Unsupported("a single-choice question with several right answers or partial credit "
                               "('~%50%…' beside '=') has no Academy equivalent", parts[0].offset)
        choices = tuple(ChoiceDoc(_key(index), text, "", part.marker == "=", feedback_md=feedback)
                        for index, (part, (_, text, feedback)) in enumerate(zip(parts, read)))
        return {"type": "single", "choices": choices}

    def _multiple(self, read: list) -> dict:
        """No '=': Moodle's multiple response, every answer weighted (no weight is 0%).

        The weights' range and sum are Academy's own rules, checked on the Markdown written.
        """
        weights = [weight or 0.0 for weight, _, _ in read]
        # `// academy weights: none` (written by markdown_to_gift): the question is scored by the course.
        unweighted = self.block.notes.get("weights", ("",))[0] == "none"
        choices = tuple(ChoiceDoc(_key(index), text, "", weight > 0, feedback_md=feedback,
                                  weight=None if unweighted else weight)
                        for index, (weight, (_, text, feedback)) in enumerate(zip(weights, read)))
        return {"type": "multiple", "choices": choices}

    def _true_false(self, answer: str, offset: int, text_format: str) -> dict:
        value, *feedback = answer.split("#", 2)
        wrong, right = ([self._text(text, text_format, offset)[1] for text in feedback] + ["", ""])[:2]
        truth = _TRUE_FALSE[value.strip()]
        choices = (ChoiceDoc("a", "True", "", truth, feedback_md=right if truth else wrong),
                   ChoiceDoc("b", "False", "", not truth, feedback_md=wrong if truth else right))
        return {"type": "true_false", "choices": choices}

    def _short(self, answer: str, offset: int, text_format: str) -> dict:
        accepted: list[tuple[str, str]] = []
        incorrect = ""
        for part in _parts(answer, offset, "=", hint="; write '=answer' for a short answer, or T, TRUE, F or FALSE "
                                                     "(in capitals) for true/false"):
            weight, body = _weight(part)
            text, _, feedback = body.partition("#")
            text = " ".join(_literal(text).split())
            feedback_md = self._text(feedback, text_format, part.offset)[1] if feedback.strip() else ""
            if weight is None or weight == 100:
                if not text:
                    raise _Malformed("this accepted answer has no text", part.offset)
                accepted.append((text, feedback_md))
            elif weight == 0 and text == "*":
                incorrect = feedback_md  # Moodle's catch-all answer: feedback for every other answer
            elif weight == 0:
                self.warning(part.offset, f"the 0% answer '{text}' was left out: Academy marks every answer it does "
                                          "not accept as wrong (its feedback is lost)")
            else:
                raise _Unsupported("short answers with partial credit ('=%50%…') are not supported", part.offset)
        if not accepted:
            raise _Malformed("the short-answer question has no accepted answer ('=answer')", offset)
        return {"type": "short", "accepted": tuple(text for text, _ in accepted), "incorrect_feedback_md": incorrect,
                "correct_feedback_md": self._one_feedback(accepted, offset)}

    def _one_feedback(self, accepted: list[tuple[str, str]], offset: int) -> str:
        """Academy has one correct-answer feedback; GIFT has one per accepted answer."""
        feedbacks = list(dict.fromkeys(feedback for _, feedback in accepted if feedback))
        if len(feedbacks) > 1:
            self.warning(offset, "the accepted answers have different feedback; Academy shows one correct-answer "
                                 "feedback, so the first was kept")
        return feedbacks[0] if feedbacks else ""

    def _numeric(self, answer: str, offset: int, text_format: str) -> dict:
        wrong_at = answer.find("~")
        incorrect = ""
        if wrong_at >= 0:
            before, _, feedback = answer[wrong_at + 1:].partition("#")
            if before.strip():
                raise _Malformed("'~' in a numeric answer introduces the feedback for wrong answers: write "
                                 "'~#feedback'", offset + wrong_at)
            incorrect = self._text(feedback, text_format, offset + wrong_at)[1]
            answer = answer[:wrong_at]
        parts = _parts(answer, offset, "=") if answer.strip().startswith("=") else [_Part("", answer, offset)]
        keys = []
        for part in parts:
            weight, body = _weight(part)
            value, _, feedback = body.partition("#")
            if weight is None or weight == 100:
                keys.append((_numeric_key(value, part.offset), self._text(feedback, text_format, part.offset)[1]))
            elif weight == 0:
                self.warning(part.offset, f"the 0% answer '{value.strip()}' was left out: Academy marks every "
                                          "answer outside the accepted value or range as wrong")
            else:
                raise _Unsupported("numeric answers with partial credit ('=%50%…') are not supported", part.offset)
        if not keys:
            raise _Malformed("the numeric question has no answer: write {#3.14:0.01}, {#1..5} or {#3}", offset)
        if len(keys) > 1:
            raise _Unsupported("Academy accepts one numeric value or range per question; this one has several",
                               offset)
        [(key, correct)] = keys
        return {"type": "numeric", "numeric": key, "correct_feedback_md": correct,
                "incorrect_feedback_md": incorrect}

    # ------------------------------------------------------------------ ids and comments

    def _notes(self, fields: dict) -> dict:
        """What `// academy …` comments say that GIFT itself could not."""
        notes = self.block.notes
        for note, (_, line) in notes.items():
            if note not in _NOTE_FIELDS:
                self.problems.append(Problem(self.path, line, "warning", f"unknown comment 'academy {note}:' "
                                                                         "ignored"))
        found = {}
        for note in ("general-feedback", "correct-feedback", "incorrect-feedback", "reference"):
            attribute = note.replace("-", "_") + "_md"
            if note in notes and not fields.get(attribute):
                found[attribute] = normal_text(notes[note][0])
        if "tolerance" in notes:
            found["numeric"] = self._percent_tolerance(fields.get("numeric"), *notes["tolerance"])
        return found

    def _percent_tolerance(self, key: NumericKey | None, value: str, line: int) -> NumericKey | None:
        """`// academy tolerance: 10%`: GIFT has only absolute tolerances, Academy also percentages."""
        try:
            percent = float(value.strip().removesuffix("%"))
        except ValueError:
            percent = -1.0
        if key is None or key.tolerance is None or not value.strip().endswith("%") or percent < 0:
            self.problems.append(Problem(self.path, line, "warning", f"'academy tolerance: {value}' ignored: it "
                                         "needs a numeric answer 'value:tolerance' and a percentage such as 10%"))
            return key
        return NumericKey(value=key.value, tolerance_percent=percent)

    def _id(self, name: str, text_md: str, offset: int) -> str:
        """The name when it is a free Id already; else `<prefix>-<slug>`, numbered if taken."""
        if SLUG_RE.match(name) and len(name) <= MAX_ID_LENGTH and name not in self.used:
            self.used.add(name)
            return name
        base = f"{self.prefix}-{_slug(name or text_md)}"
        candidate, number = base, 2
        while candidate in self.used:
            candidate, number = f"{base}-{number}", number + 1
        if SLUG_RE.match(name) and name in self.used:
            self.warning(offset, f"the name '{name}' is already an Id in the course, so the question gets the Id "
                                 f"'{candidate}'")
        self.used.add(candidate)
        return candidate


@dataclass(frozen=True)
class _Part:
    """One answer of an answer list: its marker ('~', '=' or ''), the text after it and its offset."""

    marker: str
    body: str
    offset: int


def _parts(answer: str, offset: int, markers: str, hint: str = "") -> list[_Part]:
    positions = [index for index, char in enumerate(answer) if char in markers]
    lead = answer[:positions[0]] if positions else answer
    if lead.strip():
        raise _Malformed(f"'{_literal(lead).strip()}' has no '=' or '~' in front of it{hint}", offset)
    ends = [*positions[1:], len(answer)]
    return [_Part(answer[start], answer[start + 1:end], offset + start) for start, end in zip(positions, ends)]


_WEIGHT_RE = re.compile(r"\s*%(-?\d+(?:\.\d+)?)%")


def _weight(part: _Part) -> tuple[float | None, str]:
    """`%50%` after the marker: the weight in percent (None if there is none) and the text after it."""
    if match := _WEIGHT_RE.match(part.body):
        return float(match.group(1)), part.body[match.end():]
    if part.body.lstrip().startswith("%"):
        raise _Malformed("a weight is written '%50%' or '%-100%' right after '~' or '='", part.offset)
    return None, part.body


def _numeric_key(text: str, offset: int) -> NumericKey:
    """`3.14:0.01` (value and tolerance), `1..5` (range) or `3` (exact)."""
    text = _literal(text).strip()
    try:
        if ".." in text:
            low, high = (_number_of(part) for part in text.split("..", 1))
            if low > high:
                raise ValueError(f"the minimum {low:g} is greater than the maximum {high:g}")
            return NumericKey(minimum=low, maximum=high)
        if ":" in text:
            value, tolerance = (_number_of(part) for part in text.split(":", 1))
            if tolerance < 0:
                raise ValueError(f"the tolerance {tolerance:g} is negative; it must be 0 or more")
            return NumericKey(value=value, tolerance=tolerance)
        return NumericKey(value=_number_of(text))
    except ValueError as exc:
        raise _Malformed(f"numeric answer '{text}': {exc}; write {{#3.14:0.01}} (value and tolerance), "
                         "{#1..5} (range) or {#3} (exact)", offset) from None


def _number_of(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"'{text.strip()}' is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"'{text.strip()}' is not a finite number")
    return value


def _key(index: int) -> str:
    return chr(ord("a") + index)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(words) > _SLUG_LENGTH:  # cut at a word boundary when there is one
        cut = words[:_SLUG_LENGTH]
        words = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return words or "question"


# --------------------------------------------------------------------------- text formats

_FORMAT_RE = re.compile(r"\[(markdown|html|plain|moodle)\]")


def _format_of(text: str, default: str) -> tuple[str, str]:
    """A leading `[markdown]`/`[html]`/`[plain]`/`[moodle]` tag, else the question's format (as in Moodle)."""
    if match := _FORMAT_RE.match(text):
        return match.group(1), text[match.end():].strip()
    return default, text


def _to_markdown(text: str, text_format: str) -> tuple[str, set[str]]:
    """Markdown for a text in a Moodle format, and what could not be converted.

    Markdown is kept as written. Plain text is escaped so it shows as typed.
    HTML, and Moodle's own format (HTML in which new lines are line breaks),
    are converted conservatively: paragraphs, line breaks, lists, bold,
    italics, code and web links survive; other tags are removed with their
    text kept; scripts, styles and images are removed.
    """
    if text_format == "markdown":
        return normal_text(text), set()
    if text_format == "plain":
        return _tidy("\n\n".join(_escape_markdown(line) for line in text.split("\n"))), set()
    converter = _HtmlToMarkdown()
    converter.feed(text.replace("\n", "<br>") if text_format == "moodle" else text)
    converter.close()
    return converter.markdown(), converter.dropped


_INLINE_SPECIAL_RE = re.compile(r"([\\`*_\[\]#!])")
_LINE_START_RE = re.compile(r"^([-+>]|\d+[.)])", re.MULTILINE)
_LIST_MARK = {"ul": "\x00", "ol": "\x01"}  # stand-ins, so escaping line starts leaves real list items alone


def _escape_markdown(text: str) -> str:
    """Text that Markdown shows as typed (the characters that would start emphasis, links, code, HTML)."""
    return _INLINE_SPECIAL_RE.sub(r"\\\1", text).replace("&", "&amp;").replace("<", "&lt;")


def _tidy(markdown: str) -> str:
    """Trim lines, keep at most one blank line, and escape what would start a list, quote or heading."""
    lines = [line.strip() for line in markdown.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    text = _LINE_START_RE.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], text)
    text = re.sub(r"^([:=])", lambda m: f"&#{ord(m.group(1))};", text, flags=re.MULTILINE)
    return text.replace(_LIST_MARK["ul"], "- ").replace(_LIST_MARK["ol"], "1. ")


class _HtmlToMarkdown(HTMLParser):
    _MARKS = {"b": "**", "strong": "**", "i": "*", "em": "*", "code": "`"}
    _BLOCKS = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "tr", "hr"}
    _HIDDEN = {"script", "style"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropped: set[str] = set()
        self.hidden = 0
        self.lists: list[str] = []
        self.links: list[str | None] = []
        self.marks: list[tuple[str, int]] = []  # open emphasis: (tag, index of its part)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self.hidden += 1
            self.dropped.add(f"<{tag}>")
        elif tag in self._MARKS:
            self.marks.append((tag, len(self.parts)))
            self.parts.append(self._MARKS[tag])
        elif tag in _LIST_MARK:
            self.lists.append(tag)
            self.parts.append("\n\n")
        elif tag == "li":
            self.parts.append("\n" + _LIST_MARK[self.lists[-1] if self.lists else "ul"])
        elif tag == "a":
            self._open_link(dict(attrs).get("href") or "")
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")
        else:
            self.dropped.add(f"<{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in self._HIDDEN:
            self.hidden -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self._MARKS:
            self._close_mark(tag)
        elif tag in _LIST_MARK:
            if self.lists:
                self.lists.pop()
            self.parts.append("\n\n")
        elif tag == "a":
            href = self.links.pop() if self.links else None
            if href:
                self.parts.append(f"]({href})")
        elif tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(_escape_markdown(re.sub(r"\s+", " ", data)))

    def _close_mark(self, tag: str) -> None:
        """`**text**` only works without spaces inside the marks: move them out (or drop empty marks)."""
        if not self.marks or self.marks[-1][0] != tag:
            return
        _, index = self.marks.pop()
        inner = "".join(self.parts[index + 1:])
        leading, trailing = inner[:len(inner) - len(inner.lstrip())], inner[len(inner.rstrip()):]
        mark = self._MARKS[tag] if inner.strip() else ""
        self.parts[index:] = [leading, mark, inner.strip(), mark, trailing]

    def _open_link(self, href: str) -> None:
        if re.match(r"(https?:|mailto:)", href, re.IGNORECASE) and not re.search(r"[\s()<>]", href):
            self.links.append(href)
            self.parts.append("[")
        else:
            self.links.append(None)
            self.dropped.add("a link that is not http:, https: or mailto:")

    def markdown(self) -> str:
        return _tidy("".join(self.parts))


# --------------------------------------------------------------------------- Academy Markdown writer


def _write_entries(entries: list[QuestionDoc | str], first_number: int) -> tuple[str, list[tuple[int, int]]]:
    """Question blocks (categories as `%` comment lines) and, per question, (Markdown line, GIFT line)."""
    blocks: list[str] = []
    starts: list[tuple[int, int]] = []
    line, number = 1, first_number
    for entry in entries:
        if isinstance(entry, QuestionDoc):
            block = _question_markdown(entry, number)
            starts.append((line, entry.line))
            number += 1
        else:
            block = f"% GIFT category: {entry}"
        blocks.append(block)
        line += block.count("\n") + 2
    return "\n\n".join(blocks) + "\n", starts


def _question_markdown(question: QuestionDoc, number: int) -> str:
    """One question in Academy's quiz Markdown (docs/authoring.md), numbered `number`."""
    lines = [f"Id: {question.id}", *_item(f"{number}.", question.text_md)]
    for marker, text in (("...", question.general_feedback_md), ("+", question.correct_feedback_md),
                         ("-", question.incorrect_feedback_md)):
        if text:
            lines += _item(marker, text)
    for choice in question.choices:
        lines += _item(_choice_marker(question, choice), choice.text_md)
        if choice.feedback_md:
            lines += _item("...", choice.feedback_md)
    lines += [f"*   {answer}" for answer in question.accepted]
    if question.numeric is not None:
        lines.append(f"=   {_numeric_markdown(question.numeric)}")
    lines += _keyword("Rationale:", question.rationale_md)
    if question.reference_md:
        lines += _keyword("Reference:", question.reference_md)
    return "\n".join(lines)


def _item(marker: str, text: str) -> list[str]:
    """A marked text; continuation lines are indented to the text after the marker."""
    prefix = f"{marker:<3} "
    first, *rest = text.split("\n")
    return [prefix + first, *(" " * len(prefix) + line if line else "" for line in rest)]


def _keyword(keyword: str, text: str) -> list[str]:
    first, *rest = text.split("\n")
    return [f"{keyword} {first}", *("  " + line if line else "" for line in rest)]


def _choice_marker(question: QuestionDoc, choice: ChoiceDoc) -> str:
    if question.type != "multiple":
        return ("*" if choice.correct else "") + f"{choice.key})"
    if choice.weight:
        return f"[{'*' if choice.weight > 0 else '-'}{_number(abs(choice.weight))}%]"
    return "[*]" if choice.correct else "[ ]"


def _numeric_markdown(key: NumericKey) -> str:
    if key.value is None:
        return f"[{_number(key.minimum)}, {_number(key.maximum)}]"  # type: ignore[arg-type]
    if key.tolerance is not None:
        return f"{_number(key.value)} +- {_number(key.tolerance)}"
    if key.tolerance_percent is not None:
        return f"{_number(key.value)} +- {_number(key.tolerance_percent)}%"
    return _number(key.value)


def _number(value: float) -> str:
    """The shortest spelling that reads back as the same float (50, not 50.0)."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def _check_markdown(markdown: str, starts: list[tuple[int, int]], path: str) -> list[Problem]:
    """Academy's own check of the written questions, reported at the GIFT line of each question."""
    front_matter = "---\nminutes: 1\n---\n"
    offset = front_matter.count("\n")
    _, problems = parse_quiz(front_matter + markdown, path)

    def gift_line(markdown_line: int) -> int:
        return next((gift for start, gift in reversed(starts) if start <= markdown_line - offset), 1)

    return [Problem(path, gift_line(problem.line), problem.severity,
                    re.sub(r"\bline (\d+)", lambda m: f"line {gift_line(int(m.group(1)))}", problem.message))
            for problem in problems]


# --------------------------------------------------------------------------- Academy pool → GIFT


def markdown_to_gift(quiz: QuizDoc) -> str:
    """The pool as GIFT: Ids become `::id::` names, rationales general feedback (`####`)."""
    header = [f"// {quiz.title}: {len(quiz.questions)} questions exported from Academy.",
              "// Lines starting '// academy' keep what GIFT cannot say; Moodle ignores them."]
    return "\n".join(header) + "\n\n" + "\n\n".join(_gift_question(q) for q in quiz.questions) + "\n"


def _gift_question(question: QuestionDoc) -> str:
    answers = [*_gift_answers(question), f"####{_escape(question.rationale_md)}"]
    return "\n".join([*_gift_notes(question), f"::{question.id}::[markdown]{_escape(question.text_md)}{{",
                      *(f"\t{line}" for line in answers), "}"])


def _gift_notes(question: QuestionDoc) -> list[str]:
    notes = [("general-feedback", question.general_feedback_md), ("reference", question.reference_md)]
    if question.choices:  # GIFT has right/wrong feedback only per answer of short and numeric questions
        notes += [("correct-feedback", question.correct_feedback_md),
                  ("incorrect-feedback", question.incorrect_feedback_md)]
    if question.type == "multiple" and not question.weighted:
        notes.append(("weights", "none"))
    if question.numeric is not None and question.numeric.tolerance_percent is not None:
        notes.append(("tolerance", f"{_number(question.numeric.tolerance_percent)}%"))
    return [f"// academy {name}: {_escape(value)}" for name, value in notes if value]


def _gift_answers(question: QuestionDoc) -> list[str]:
    if question.type == "true_false" and [c.text_md for c in question.choices] == ["True", "False"]:
        return [_gift_true_false(question)]
    if question.choices:
        return [_gift_choice(question, choice) + _gift_feedback(choice.feedback_md) for choice in question.choices]
    if question.accepted:
        right = _gift_feedback(question.correct_feedback_md)
        wrong = [f"=%0%*{_gift_feedback(question.incorrect_feedback_md)}"] if question.incorrect_feedback_md else []
        return [f"={_escape(answer)}{right}" for answer in question.accepted] + wrong
    key = question.numeric
    assert key is not None
    wrong = [f"~{_gift_feedback(question.incorrect_feedback_md)}"] if question.incorrect_feedback_md else []
    return ["#", f"={_gift_number(key)}{_gift_feedback(question.correct_feedback_md)}", *wrong]


def _gift_true_false(question: QuestionDoc) -> str:
    right = next(c for c in question.choices if c.correct)
    wrong = next(c for c in question.choices if not c.correct)
    answer = "TRUE" if right.text_md == "True" else "FALSE"
    if right.feedback_md:
        return f"{answer}#{_escape(wrong.feedback_md)}#{_escape(right.feedback_md)}"
    return answer + _gift_feedback(wrong.feedback_md)


def _gift_choice(question: QuestionDoc, choice: ChoiceDoc) -> str:
    text = _escape(choice.text_md)
    if question.type != "multiple":
        return ("=" if choice.correct else "~") + text
    if question.weighted:
        return f"~%{_number(choice.weight)}%{text}" if choice.weight else f"~{text}"  # type: ignore[arg-type]
    # GIFT's multiple response is always weighted: share the marks among the keyed choices and let a
    # wrong pick cost them all, the closest Moodle gets to all-or-nothing (`weights: none` restores it here).
    share = 100 / sum(c.correct for c in question.choices)
    return f"~%{f'{share:.5f}'.rstrip('0').rstrip('.')}%{text}" if choice.correct else f"~%-100%{text}"


def _gift_number(key: NumericKey) -> str:
    if key.value is None:
        return f"{_number(key.minimum)}..{_number(key.maximum)}"  # type: ignore[arg-type]
    if key.tolerance is not None:
        return f"{_number(key.value)}:{_number(key.tolerance)}"
    if key.tolerance_percent is not None:
        return f"{_number(key.value)}:{_number(abs(key.value) * key.tolerance_percent / 100)}"
    return _number(key.value)


def _gift_feedback(markdown: str) -> str:
    return f"#{_escape(markdown)}" if markdown else ""
