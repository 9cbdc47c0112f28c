"""Writing a course back out as files, from its normal form (the inverse of parsing).

Exporting and importing again gives the same content hash: the normal form
holds everything the files say, and this module writes it in the format's
one canonical spelling (settings in a fixed order, questions in text2qti
syntax with four-character markers and continuation lines indented by four).
"""
from __future__ import annotations

from typing import Any

import yaml

from academy.content.model import CourseSettings

_SETTINGS_ORDER = list(CourseSettings.__dataclass_fields__)


def course_files(normal_form: dict[str, Any]) -> dict[str, str]:
    """{relative path: text} for course.md, the module files and quizzes/<slug>.md.

    Paths are relative to a root holding `courses/` and `quizzes/`. Images
    are not included: `normal_form["images"]` maps their paths to sha256s.
    """
    slug = normal_form["slug"]
    files = {f"courses/{slug}/course.md": _document(_settings(normal_form["settings"]), normal_form["overview"])}
    for module in normal_form["modules"]:
        front = {"title": module["title"], "minutes": module["minutes"]}
        if module["references"]:
            front["references"] = module["references"]
        files[f"courses/{slug}/{module['number']:02d}-{module['slug']}.md"] = _document(front, module["body"])
    if normal_form["quiz"] is not None:
        files[f"quizzes/{slug}.md"] = quiz_text(normal_form["quiz"])
    return files


def _settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Every setting in the documented order; optional ones only when they differ from the default."""
    required = {"title", "version", "summary", "audience", "objectives"}
    out = {}
    for name in _SETTINGS_ORDER:
        value = settings.get(name)
        if name in required or value != _default(name):
            out[name] = value
    return out


def _default(name: str) -> Any:
    default = CourseSettings.__dataclass_fields__[name].default
    return list(default) if isinstance(default, tuple) else default


def _document(front_matter: dict[str, Any], body: str) -> str:
    yaml_text = yaml.safe_dump(front_matter, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{yaml_text}---\n\n{body}\n" if body else f"---\n{yaml_text}---\n"


def quiz_text(quiz: dict[str, Any]) -> str:
    front = {"minutes": quiz["minutes"]}
    if quiz["title"] != "Post-test":
        front["title"] = quiz["title"]
    blocks = [_question(number, question) for number, question in enumerate(quiz["questions"], start=1)]
    return _document(front, "\n\n".join(blocks))


def _block(marker: str, text: str) -> list[str]:
    """A marker line and its continuation lines, indented to the text after the four-character marker."""
    lines = text.split("\n")
    out = [f"{marker:<3} {lines[0]}".rstrip()]
    out += [("    " + line) if line.strip() else "" for line in lines[1:]]
    return out


def _question(number: int, q: dict[str, Any]) -> str:
    lines = [f"Id: {q['id']}"]
    lines += _block(f"{number}.", q["text"])
    if q["general_feedback"]:
        lines += _block("...", q["general_feedback"])
    if q["correct_feedback"]:
        lines += _block("+", q["correct_feedback"])
    if q["incorrect_feedback"]:
        lines += _block("-", q["incorrect_feedback"])
    for index, choice in enumerate(q["choices"]):
        if q["type"] == "multiple":
            weight = choice.get("weight")  # percent as written, only in weighted questions
            if weight:
                marker = f"[{'*' if weight > 0 else '-'}{_number(abs(weight))}%]"
            else:
                marker = "[*]" if choice["correct"] else "[ ]"
        else:
            letter = chr(ord("a") + index)
            marker = f"*{letter})" if choice["correct"] else f"{letter})"
        lines += _block(marker, choice["text"])
        if choice["feedback"]:
            lines += _block("...", choice["feedback"])
    for answer in q["accepted"]:
        lines.append(f"*   {answer}")
    if q["numeric"] is not None:
        lines.append(f"=   {_numeric(q['numeric'])}")
    lines += _labelled("Rationale:", q["rationale"])
    if q["reference"]:
        lines += _labelled("Reference:", q["reference"])
    return "\n".join(lines)


def _labelled(label: str, text: str) -> list[str]:
    first, *rest = text.split("\n")
    return [f"{label} {first}".rstrip()] + [("    " + line) if line.strip() else "" for line in rest]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _numeric(key: dict[str, Any]) -> str:
    if key["value"] is None:
        return f"[{_number(key['minimum'])}, {_number(key['maximum'])}]"
    if key["tolerance"] is not None:
        return f"{_number(key['value'])} +- {_number(key['tolerance'])}"
    if key["tolerance_percent"] is not None:
        return f"{_number(key['value'])} +- {_number(key['tolerance_percent'])}%"
    return _number(key["value"])
