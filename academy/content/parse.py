"""Read course, module, quiz and programs files into documents, with every problem a single file shows.

The division of labour with `validate`: this module reports everything that
can be seen in one file and the course folder it lives in (YAML, keys and
values, the quiz syntax, Markdown links, images and raw HTML); `validate`
walks the content folders and adds the rules that span files (post-test
present, prerequisites, question pool size, CE hours).

Nothing here raises on bad input: a garbage file gives `Problem`s. Line
numbers are file lines; front matter starts on file line 2, under the
opening `---`.
"""
from __future__ import annotations

import difflib
import hashlib
import math
import posixpath
import re
from html import unescape
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from academy.content.hours import ce_hours
from academy.content.model import (
    Accreditation, ChoiceDoc, CourseDoc, CourseSettings, ModuleDoc, NumericKey, Problem, ProgramDoc,
    QuestionDoc, QuizDoc, content_hash, normal_text,
)
from academy.content.render import ADMONITION_TYPES, RENDER_VERSION, Rendered, convert, render_references

MediaUrl = Callable[[str], str]
"""Maps an image's sha256 to the URL it is served from, e.g. lambda sha: f"/media/{sha}"."""
RenderCache = MutableMapping[str, Rendered]
"""Rendered texts by a key over every input of the rendering (see _CourseFolder.render)."""

SLUG_RE = re.compile(r"[a-z][a-z0-9-]*\Z")
SLUG_RULE = "lower-case letters, digits and hyphens, starting with a letter"
SEMVER_RE = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)\Z")
MODULE_FILE_RE = re.compile(r"(\d{2})-(.+)\.md\Z")
REVIEW_POLICIES = ("after_each_attempt", "after_passing", "after_last_attempt", "never")
LINK_SCHEMES = ("http", "https", "mailto")
IMAGE_SIGNATURES = {
    ".png": ("PNG", lambda data: data.startswith(b"\x89PNG\r\n\x1a\n")),
    ".jpg": ("JPEG", lambda data: data.startswith(b"\xff\xd8\xff")),
    ".jpeg": ("JPEG", lambda data: data.startswith(b"\xff\xd8\xff")),
    ".gif": ("GIF", lambda data: data[:6] in (b"GIF87a", b"GIF89a")),
    ".webp": ("WebP", lambda data: data[:4] == b"RIFF" and data[8:12] == b"WEBP"),
}
FENCE = "---"
LARGEST = 1_000_000  # larger numbers in settings are typos, and would overflow floats and database columns


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CourseRead:
    """Everything read from one course folder and its quiz.

    `doc` is None when there is any error. The parts that parsed are kept
    (`settings`, `modules`, `quiz`) so cross-file rules can still run and
    report everything at once; `lines` maps course.md keys (and list items,
    e.g. ("prerequisites", 0)) to their file lines for those rules.
    """

    doc: CourseDoc | None
    course_md: str
    settings: CourseSettings | None
    modules: tuple[ModuleDoc, ...]
    quiz: QuizDoc | None
    lines: Mapping[tuple, int]
    problems: tuple[Problem, ...]


# --------------------------------------------------------------------------- public entry points


def read_course(course_dir: Path, quiz_file: Path | None, *, media_url: MediaUrl | None = None,
                render_cache: RenderCache | None = None) -> CourseRead:
    """Read courses/<slug>/ and its quiz file (None or a missing file: the course has no post-test).

    `render_cache` (see RenderCache) lets a re-import skip rendering texts it
    has rendered before with the same inputs; every check still runs.
    """
    folder = _CourseFolder(course_dir, media_url, render_cache)
    course_md = course_dir / "course.md"
    problems: list[Problem] = []
    if not SLUG_RE.match(course_dir.name):
        problems.append(_error(str(course_dir), 1, f"course folder name '{course_dir.name}' is not a valid slug: "
                                                   f"use {SLUG_RULE}"))
    settings, overview_md, overview_html, lines = None, "", "", {}
    text = read_text(course_md, problems, missing="the course folder has no course.md; create it with the "
                                                   "course settings (see docs/authoring.md)")
    if text is not None:
        ctx = _FileContext(str(course_md), folder)
        settings, overview_md, overview_html, lines = _parse_course_md(text, ctx)
        problems += ctx.problems
    modules = _read_modules(course_dir, folder, problems)
    quiz = _read_quiz(course_dir, quiz_file, folder, problems)
    doc = None
    if settings is not None and quiz is not None and not _has_errors(problems):
        doc = _course_doc(course_dir, settings, overview_md, overview_html, modules, quiz, folder.images)
    return CourseRead(doc, str(course_md), settings, modules, quiz, lines, tuple(problems))


def parse_module(text: str, path: str, *, course_dir: Path | None = None,
                 media_url: MediaUrl | None = None) -> tuple[ModuleDoc | None, list[Problem]]:
    """Parse one module file; its number and slug come from the file name `NN-<slug>.md`.

    Without `course_dir`, links and images are checked for form only, not existence.
    """
    ctx = _FileContext(path, _CourseFolder(course_dir, media_url))
    module = _parse_module(text, ctx)
    return (module if not _has_errors(ctx.problems) else None), ctx.problems


def parse_quiz(text: str, path: str, *, course_dir: Path | None = None,
               media_url: MediaUrl | None = None) -> tuple[QuizDoc | None, list[Problem]]:
    """Parse a quiz file. Links and images in it are relative to the course folder, like a module's."""
    ctx = _FileContext(path, _CourseFolder(course_dir, media_url))
    quiz = _parse_quiz(text, ctx)
    return (quiz if not _has_errors(ctx.problems) else None), ctx.problems


def parse_programs(text: str, path: str, *,
                   known_courses: Sequence[str] | None = None) -> tuple[dict[str, ProgramDoc], list[Problem]]:
    """Parse courses/programs.yml; with `known_courses`, every listed course must be one of them."""
    ctx = _FileContext(path, _CourseFolder(None, None))
    data, lines, ok = _load_yaml(text.lstrip("\ufeff").replace("\r\n", "\n"), ctx, first_line=1)
    if not ok:
        return {}, ctx.problems
    keys = _Keys(lines, 1)
    top, _ = _read_keys(data, _PROGRAMS_FILE_KEYS, ctx, keys, (), what="programs.yml")
    programs: dict[str, ProgramDoc] = {}
    for index, item in enumerate(top.get("programs", ())):
        program = _read_program(item, index, ctx, keys, known_courses)
        if program is None:
            continue
        if program.slug in programs:
            ctx.error(keys.line("programs", index, "slug"), f"program slug '{program.slug}' is used twice; "
                                                            "every program needs its own slug")
            continue
        programs[program.slug] = program
    return (programs if not _has_errors(ctx.problems) else {}), ctx.problems


# --------------------------------------------------------------------------- files and folders


def read_text(path: Path, problems: list[Problem], *, missing: str = "the file does not exist") -> str | None:
    """The text of a UTF-8 file, or None with a problem (`missing` says what to do if it does not exist)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.append(_error(str(path), 1, missing))
        return None
    except OSError as exc:
        problems.append(_error(str(path), 1, f"cannot read the file: {exc.strerror or exc}"))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(_error(str(path), line, "the file is not UTF-8 text (byte "
                                                f"0x{data[exc.start]:02x}); save it as UTF-8"))
        return None


def _read_modules(course_dir: Path, folder: _CourseFolder, problems: list[Problem]) -> tuple[ModuleDoc, ...]:
    modules: list[ModuleDoc] = []
    seen: dict[int, str] = {}
    files = sorted(p for p in course_dir.glob("*.md") if p.name != "course.md") if course_dir.is_dir() else []
    for path in files:
        text = read_text(path, problems)
        if text is None:
            continue
        ctx = _FileContext(str(path), folder)
        module = _parse_module(text, ctx)
        problems += ctx.problems
        if module is None:
            continue
        if module.number in seen:
            problems.append(_error(str(path), 1, f"module number {module.number:02d} is also used by "
                                                 f"{seen[module.number]}; give every module its own number"))
            continue
        seen[module.number] = path.name
        modules.append(module)
    if course_dir.is_dir() and not files:
        problems.append(_error(str(course_dir / "course.md"), 1, "the course has no modules: add files named "
                                                                 "01-<module-slug>.md beside course.md"))
    return tuple(sorted(modules, key=lambda m: m.number))


def _read_quiz(course_dir: Path, quiz_file: Path | None, folder: _CourseFolder,
               problems: list[Problem]) -> QuizDoc | None:
    if quiz_file is None or not quiz_file.exists():
        expected = f"quizzes/{course_dir.name}.md" if quiz_file is None else str(quiz_file)
        problems.append(_error(str(course_dir / "course.md"), 1,
                               f"course '{course_dir.name}' has no post-test: create {expected}"))
        return None
    text = read_text(quiz_file, problems)
    if text is None:
        return None
    ctx = _FileContext(str(quiz_file), folder)
    quiz = _parse_quiz(text, ctx)
    problems += ctx.problems
    return quiz


def _course_doc(course_dir: Path, settings: CourseSettings, overview_md: str, overview_html: str,
                modules: tuple[ModuleDoc, ...], quiz: QuizDoc, images: dict[str, bytes]) -> CourseDoc:
    doc = CourseDoc(
        slug=course_dir.name, path=str(course_dir), settings=settings, overview_md=overview_md,
        overview_html=overview_html, modules=modules, quiz=quiz, images=dict(sorted(images.items())),
        content_hash="", ce_hours=ce_hours((m.minutes for m in modules), quiz.minutes, settings.ce_hours),
    )
    return replace(doc, content_hash=content_hash(doc))


class _CourseFolder:
    """Where relative links and images point: one course folder, each image read once.

    With no root (text checked on its own) only the form of URLs is checked.
    """

    def __init__(self, root: Path | None, media_url: MediaUrl | None, render_cache: RenderCache | None = None):
        self.root = root
        self.media_url = media_url
        self.render_cache = render_cache
        self._fingerprint: str | None = None
        self.images: dict[str, bytes] = {}
        self._image_checks: dict[str, tuple[str | None, str | None]] = {}

    def link_problem(self, url: str) -> str | None:
        """Why a link cannot be followed, or None."""
        parts = _split_url(url)
        if parts is None:
            return f"link '{url}' is not a valid URL"
        scheme = parts.scheme.lower()
        if scheme in LINK_SCHEMES:
            return None
        if scheme:
            return (f"link '{url}' uses '{scheme}:', which the sanitiser removes; only http:, https: and mailto: "
                    "links and files in the course folder are allowed")
        if parts.netloc:
            return f"link '{url}' has no scheme; write it as https:{url.strip()}"
        if not parts.path:
            return None
        relpath, why = self._inside(parts.path)
        if why:
            return f"link '{url}' {why}"
        if self.root is not None and not _exists(self.root / relpath):
            return f"link '{url}' points to a file that does not exist ({self.root / relpath})"
        return None

    def render(self, text: str, prefix: str) -> Rendered:
        """Render a text of this course, through the render cache when there is one."""
        if self.render_cache is None:
            return self._convert(text, prefix)
        key = hashlib.sha256("\0".join((RENDER_VERSION, self.fingerprint(), prefix, text)).encode()).hexdigest()
        cached = self.render_cache.get(key)
        if cached is not None:
            for image in cached.images:  # the course still needs the bytes of the images it uses
                self.image_url(image.value)
            return cached
        rendered = self._convert(text, prefix)
        self.render_cache[key] = rendered
        return rendered

    def _convert(self, text: str, prefix: str) -> Rendered:
        return convert(text, resolve_image=self.image_url, resolve_link=self.link_url, heading_prefix=prefix)

    def fingerprint(self) -> str:
        """Everything besides the text that rendered HTML depends on: the course's name (in
        module links), where media is served, and the bytes of every image in the folder."""
        if self._fingerprint is None:
            digest = hashlib.sha256(str(self.root.name if self.root else "").encode())
            digest.update((self.media_url("") if self.media_url else "").encode())
            if self.root is not None:
                for path in sorted(p for p in self.root.rglob("*") if p.suffix.lower() in IMAGE_SIGNATURES):
                    digest.update(str(path.relative_to(self.root)).encode() + b"\0")
                    digest.update(hashlib.sha256(path.read_bytes()).digest())
            self._fingerprint = digest.hexdigest()
        return self._fingerprint

    def link_url(self, url: str) -> str | None:
        """Where a link to another file of the course points in Academy's pages, or None to keep it.

        Module files (`02-dosing.md`) become the module's page, `course.md`
        the course page; heading anchors get the prefix every content id has.
        """
        parts = _split_url(url)
        if self.root is None or parts is None or parts.scheme or parts.netloc or not parts.path:
            return None
        relpath, why = self._inside(parts.path)
        fragment = f"#c-{parts.fragment}" if parts.fragment else ""
        module = MODULE_FILE_RE.match(relpath)
        if why is None and module and "/" not in relpath:
            return f"/courses/{self.root.name}/m/{module.group(2)}{fragment}"
        if why is None and relpath == "course.md":
            return f"/courses/{self.root.name}{fragment}"
        return None

    def image_problem(self, src: str) -> str | None:
        """Why an image cannot be shown, or None."""
        return self._check_image(src)[1]

    def image_url(self, src: str) -> str | None:
        """The URL to serve an image from (via `media_url`), or None to keep `src` as written."""
        relpath, _ = self._check_image(src)
        if relpath is None or relpath not in self.images or self.media_url is None:
            return None
        return self.media_url(hashlib.sha256(self.images[relpath]).hexdigest())

    def _check_image(self, src: str) -> tuple[str | None, str | None]:
        if src not in self._image_checks:
            self._image_checks[src] = self._load_image(src)
        return self._image_checks[src]

    def _load_image(self, src: str) -> tuple[str | None, str | None]:
        parts = _split_url(src)
        if parts is None or parts.scheme or parts.netloc:
            return None, (f"image '{src}' is not a file in the course folder; download it into images/ and "
                          "write ![description](images/<file>)")
        relpath, why = self._inside(parts.path)
        if why:
            return None, f"image '{src}' {why}"
        suffix = PurePosixPath(relpath).suffix.lower()
        if suffix == ".svg":
            return None, f"image '{src}': SVG images are not allowed (they can carry scripts); use PNG or JPEG"
        if suffix not in IMAGE_SIGNATURES:
            return None, f"image '{src}' must be a .png, .jpg, .jpeg, .gif or .webp file"
        if self.root is None:
            return relpath, None
        file = self.root / relpath
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            return None, f"image '{src}' not found: {file} does not exist"
        except OSError as exc:  # a folder, unreadable, …
            return None, f"image '{src}' cannot be read: {exc.strerror or exc}"
        kind, matches = IMAGE_SIGNATURES[suffix]
        if not matches(data):
            return None, f"image '{src}' is not a {kind} file (its content does not match its extension)"
        self.images[relpath] = data
        return relpath, None

    def _inside(self, url_path: str) -> tuple[str, str | None]:
        """The path relative to the course folder, or why it is not inside it."""
        path = unquote(url_path)
        if path.startswith("/") or "\\" in path or "\x00" in path:
            return "", "is not a relative path; write paths relative to the course folder, e.g. images/figure.png"
        relpath = posixpath.normpath(path)
        if relpath == ".." or relpath.startswith("../") or (self.root and not _within(self.root, relpath)):
            return "", "points outside the course folder"
        return relpath, None


def _split_url(url: str) -> SplitResult | None:
    """The URL's parts as a browser would see them (entities decoded), or None if it cannot be parsed."""
    try:
        return urlsplit(unescape(url).strip())
    except ValueError:  # e.g. "https://host]/path": an invalid IPv6 address
        return None


def _within(root: Path, relpath: str) -> bool:
    """Whether root/relpath stays inside root once symlinks are followed (False if it cannot be resolved)."""
    try:
        (root / relpath).resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):  # outside; over-long name; symlink loop
        return False
    return True


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


@dataclass
class _FileContext:
    """The file being parsed, its course folder, and the problems found so far."""

    path: str
    folder: _CourseFolder
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        self.problems.append(_error(self.path, line, message))

    def warning(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, "warning", message))

    def markdown(self, text: str, line: int, *, prefix: str = "c-", one_line: bool = False) -> str:
        """Render a Markdown text that starts at file `line` and report its links, images and raw HTML.

        `one_line` is for texts from YAML values, whose inner lines do not map
        to file lines: everything is reported at `line`.
        """
        rendered = self.folder.render(text, prefix)
        self._check_markdown(text, rendered, line, one_line)
        return rendered.html

    def _check_markdown(self, text: str, rendered: Rendered, line: int, one_line: bool) -> None:
        def at(found_line: int) -> int:
            return line if one_line else line + found_line - 1

        for link in rendered.links:
            if (message := self.folder.link_problem(link.value)) is not None:
                self.error(at(link.line), message)
        for image in rendered.images:
            if (message := self.folder.image_problem(image.value)) is not None:
                self.error(at(image.line), message)
            if not (image.alt or "").strip():
                self.warning(at(image.line), f"image '{image.value}' has no alt text; describe it for readers "
                                             f"who cannot see it: ![description]({image.value})")
        for raw in dict.fromkeys(rendered.raw_html):
            self.warning(at(raw.line), f"raw HTML is removed by the sanitiser: {raw.value} (use Markdown instead)")
        for lost in rendered.lost_text:
            self.error(at(lost.line), lost.value)
        for index, source_line in enumerate(text.split("\n"), start=1):
            match = _ADMONITION_RE.match(source_line)
            if match and match.group(1).lower() not in ADMONITION_TYPES:
                self.warning(at(index), f"admonition type '{match.group(1)}' is not one of "
                                        f"{', '.join(ADMONITION_TYPES)}; it is shown without a type")


_ADMONITION_RE = re.compile(r"[ \t]*!!! ?([\w-]+)")


def _error(path: str, line: int, message: str) -> Problem:
    return Problem(path, line, "error", message)


def _has_errors(problems: Sequence[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


def _body(text: str, first_line: int) -> tuple[str, int]:
    """Normalised Markdown body and the file line its first line is on (leading blank lines dropped)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    leading = next((i for i, line in enumerate(lines) if line.strip()), 0)
    return normal_text(text), first_line + leading


# --------------------------------------------------------------------------- front matter and YAML


@dataclass(frozen=True)
class _FrontMatter:
    data: Any
    lines: dict[tuple, int]
    yaml_ok: bool
    body: str
    body_line: int


def _front_matter(text: str, ctx: _FileContext) -> _FrontMatter | None:
    """Split `---` YAML front matter from the body; None (with a problem) if there is none."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[0].rstrip() != FENCE:
        ctx.error(1, "the file must start with a line '---' followed by its settings (YAML front matter) "
                     "and another line '---'")
        return None
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == FENCE), None)
    if closing is None:
        ctx.error(1, "the front matter that starts on line 1 is never closed; add a line '---' after the settings")
        return None
    # Trailing spaces never mean anything in settings, but YAML keeps them inside folded text.
    yaml_text = "\n".join(line.rstrip() for line in lines[1:closing])
    data, key_lines, ok = _load_yaml(yaml_text, ctx, first_line=2)
    return _FrontMatter(data, key_lines, ok, "\n".join(lines[closing + 1:]), closing + 2)


def _load_yaml(text: str, ctx: _FileContext, *, first_line: int) -> tuple[Any, dict[tuple, int], bool]:
    """Safe-load YAML, mapping keys and list items to file lines; reports malformed YAML and duplicate keys."""
    try:
        node, data = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        ctx.error(line, f"malformed YAML: {exc.problem or exc.context}; check the indentation, and put values "
                        "that contain ': ' or start with a special character in quotes")
        return None, {}, False
    except yaml.YAMLError as exc:  # e.g. control characters, which have no position
        ctx.error(first_line, f"malformed YAML: {exc}")
        return None, {}, False
    except RecursionError:
        ctx.error(first_line, "malformed YAML: the settings are nested too deeply")
        return None, {}, False
    except ValueError:  # Python refuses to convert integers of thousands of digits
        ctx.error(first_line, "malformed YAML: a number is too long")
        return None, {}, False
    lines: dict[tuple, int] = {}
    if node is not None:
        lines[()] = first_line + node.start_mark.line
        _map_lines(node, (), first_line, lines, ctx, set())
    return data, lines, True


# libyaml's loader (when PyYAML was built with it) is many times faster and gives the same marks;
# its error messages differ, so a file it rejects is read again by the pure-Python loader, whose
# messages the documentation lists.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def _compose(text: str) -> tuple[Node | None, Any]:
    """The YAML node tree (for line numbers) and the Python data it constructs (safe types only)."""
    if _FAST_LOADER is not None:
        try:
            return _compose_with(_FAST_LOADER, text)
        except yaml.YAMLError:
            pass
    return _compose_with(yaml.SafeLoader, text)


def _compose_with(loader_class, text: str) -> tuple[Node | None, Any]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _map_lines(node: Node, at: tuple, first_line: int, lines: dict[tuple, int], ctx: _FileContext,
               seen: set[int]) -> None:
    if id(node) in seen:  # an alias: already mapped (and aliases can nest exponentially)
        return
    seen.add(id(node))
    if isinstance(node, MappingNode):
        first_use: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            line = first_line + key_node.start_mark.line
            if key in first_use:
                ctx.error(line, f"key '{key}' appears twice (first on line {first_use[key]}); keep one")
            elif key is not None:
                first_use[key] = line
                lines[at + (key,)] = line
            _map_lines(value_node, at + (key,), first_line, lines, ctx, seen)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            lines[at + (index,)] = first_line + item.start_mark.line
            _map_lines(item, at + (index,), first_line, lines, ctx, seen)


@dataclass(frozen=True)
class _Keys:
    """File lines of YAML keys and list items; the nearest known ancestor stands in for an unknown one."""

    lines: Mapping[tuple, int]
    default: int

    def line(self, *at: Any) -> int:
        at = tuple(str(k) if not isinstance(k, int) else k for k in at)
        while at:
            if at in self.lines:
                return self.lines[at]
            at = at[:-1]
        return self.default


class _Invalid(Exception):
    """A value that does not fit its key. `at` points inside it (a list item) for a better line.

    An empty message means the problems were already reported (nested mappings).
    """

    def __init__(self, message: str, at: tuple = ()):
        super().__init__(message)
        self.message = message
        self.at = at


@dataclass(frozen=True)
class _Nested:
    """Passed to converters so nested mappings (accreditation) can report per-key problems."""

    ctx: _FileContext
    keys: _Keys
    at: tuple


Converter = Callable[[Any, _Nested], Any]


@dataclass(frozen=True)
class _Key:
    name: str
    convert: Converter
    required: bool = False
    default: Any = None


def _read_keys(data: Any, spec: Sequence[_Key], ctx: _FileContext, keys: _Keys, at: tuple, *,
               what: str, label: str = "") -> tuple[dict[str, Any], bool]:
    """Check a mapping against `spec`: unknown keys, missing keys, each value.

    Returns the good values (converted, or defaults for absent optional keys)
    and whether everything was good; callers keep checking what they can.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        line = keys.lines.get(at, keys.line(*at))  # the root of a document is recorded as ()
        ctx.error(line, f"{label}{what} must be 'key: value' settings, not {_describe(data)}")
        return {}, False
    names = [key.name for key in spec]
    ok = True
    for key in data:
        if key not in names:
            ok = False
            ctx.error(keys.line(*at, key), f"{label}unknown key '{key}'{_suggest(str(key), names, what)}")
    values: dict[str, Any] = {}
    for key in spec:
        if key.name not in data or (data[key.name] is None and key.required):
            if key.required:
                ok = False
                where = "has no value" if key.name in data else "is missing"
                ctx.error(keys.line(*at, key.name), f"{label}required key '{key.name}' {where}")
            else:
                values[key.name] = key.default
            continue
        try:
            values[key.name] = key.convert(data[key.name], _Nested(ctx, keys, at + (key.name,)))
        except _Invalid as exc:
            ok = False
            if exc.message:
                ctx.error(keys.line(*at, key.name, *exc.at), f"{label}'{key.name}' {exc.message}")
    return values, ok


def _suggest(word: str, options: Sequence[str], what: str) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; the keys of {what} are: {', '.join(options)}"


def _describe(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"the true/false value {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {_shorten(str(value))}"
    if isinstance(value, str):
        return f"'{_shorten(value)}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping (key: value pairs)"
    return f"the {type(value).__name__} {value}"


def _shorten(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _is_number(value: Any) -> bool:
    """A YAML int or float of sensible size (`abs(…) <= LARGEST` also rules out .inf and .nan)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) <= LARGEST


def _plain_number(value: float) -> float:
    """80.0 and 80 are the same setting; keep one spelling so the content hash agrees."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# --------------------------------------------------------------------------- converters


def _text(value: Any, _: _Nested | None = None) -> str:
    if not isinstance(value, str):
        hint = "" if isinstance(value, (list, dict)) or value is None else "; put it in quotes"
        raise _Invalid(f"must be text, not {_describe(value)}{hint}")
    if not value.strip():
        raise _Invalid("must not be empty")
    return normal_text(value).strip()


def _optional_text(value: Any, nested: _Nested) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise _Invalid(f"must be text, not {_describe(value)}; put it in quotes so YAML keeps it exactly "
                       "(leading zeros, dashes)")
    return _text(value, nested)


def _whole(minimum: int, *, optional: bool = False) -> Converter:
    def convert(value: Any, _: _Nested) -> int | None:
        if value is None and optional:
            return None
        if not isinstance(value, int) or not _is_number(value) or value < minimum:
            empty = " or empty" if optional else ""
            raise _Invalid(f"must be a whole number ≥ {minimum}{_at_most(value)}{empty}, not {_describe(value)}")
        return value
    return convert


def _number(minimum: float) -> Converter:
    def convert(value: Any, _: _Nested) -> float:
        if not _is_number(value) or value < minimum:
            raise _Invalid(f"must be a number ≥ {minimum}{_at_most(value)}, not {_describe(value)}")
        return _plain_number(value)
    return convert


def _at_most(value: Any) -> str:
    """Mention the upper limit only to someone who went past it."""
    too_big = isinstance(value, (int, float)) and not isinstance(value, bool) and not abs(value) <= LARGEST
    return f" and at most {LARGEST}" if too_big else ""


def _percent(value: Any, _: _Nested) -> float:
    if not _is_number(value) or not 0 <= value <= 100:
        raise _Invalid(f"must be a percentage from 0 to 100, not {_describe(value)}")
    return _plain_number(value)


def _quarter_hours(value: Any, _: _Nested) -> float | None:
    if value is None:
        return None
    if not _is_number(value) or value <= 0 or value * 4 % 1 != 0:
        raise _Invalid(f"must be a number of hours above 0 in steps of 0.25 (e.g. 1.25), not {_describe(value)}")
    return _plain_number(value)


def _bool(value: Any, _: _Nested) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"must be true or false, not {_describe(value)}")
    return value


def _semver(value: Any, _: _Nested) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"must be a version MAJOR.MINOR.PATCH in quotes, such as \"1.0.0\", not {_describe(value)}")
    if not SEMVER_RE.match(value.strip()):
        raise _Invalid(f"must be a version MAJOR.MINOR.PATCH such as \"1.0.0\", not {_describe(value)}")
    return value.strip()


def _one_of(options: Sequence[str]) -> Converter:
    def convert(value: Any, _: _Nested) -> str:
        if value not in options:
            close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise _Invalid(f"must be one of {', '.join(options)}, not {_describe(value)}{hint}")
        return value
    return convert


def _list(value: Any, minimum: int) -> list:
    if value is None:
        value = []
    if not isinstance(value, list):
        raise _Invalid(f"must be a list (one '- item' per line), not {_describe(value)}")
    if len(value) < minimum:
        raise _Invalid(f"must list at least {minimum} item{'s' if minimum > 1 else ''}")
    return value


def _text_list(minimum: int) -> Converter:
    def convert(value: Any, _: _Nested) -> tuple[str, ...]:
        items = []
        for index, item in enumerate(_list(value, minimum)):
            try:
                items.append(_text(item))
            except _Invalid as exc:
                raise _Invalid(f"item {index + 1} {exc.message}", at=(index,)) from None
        return tuple(items)
    return convert


def _slug_list(minimum: int) -> Converter:
    def convert(value: Any, _: _Nested) -> tuple[str, ...]:
        slugs: list[str] = []
        for index, item in enumerate(_list(value, minimum)):
            if not isinstance(item, str) or not SLUG_RE.match(item):
                raise _Invalid(f"item {index + 1} {_describe(item)} is not a course slug ({SLUG_RULE})", at=(index,))
            if item in slugs:
                raise _Invalid(f"lists '{item}' twice", at=(index,))
            slugs.append(item)
        return tuple(slugs)
    return convert


def _accreditation(value: Any, nested: _Nested) -> tuple[Accreditation, ...]:
    entries, ok = [], True
    for index, item in enumerate(_list(value, 0)):
        values, item_ok = _read_keys(item, _ACCREDITATION_KEYS, nested.ctx, nested.keys, nested.at + (index,),
                                     what="an accreditation entry", label=f"'accreditation' item {index + 1}: ")
        if item_ok:
            entries.append(Accreditation(**values))
        ok = ok and item_ok
    if not ok:
        raise _Invalid("")
    return tuple(entries)


_COURSE_KEYS = (
    _Key("title", _text, required=True),
    _Key("version", _semver, required=True),
    _Key("summary", _text, required=True),
    _Key("audience", _text, required=True),
    _Key("objectives", _text_list(1), required=True),
    _Key("pass_mark", _percent, default=80),
    _Key("attempts_allowed", _whole(1, optional=True)),
    _Key("attempt_wait_hours", _number(0), default=0),
    _Key("time_limit_minutes", _whole(1, optional=True)),
    _Key("questions_per_attempt", _whole(1, optional=True)),
    _Key("shuffle", _bool, default=True),
    _Key("review", _one_of(REVIEW_POLICIES), default="after_passing"),
    _Key("partial_credit", _bool, default=False),
    _Key("validity_months", _whole(1, optional=True)),
    _Key("recertification_window_days", _whole(0), default=90),
    _Key("major_requires_recertification", _bool, default=False),
    _Key("prerequisites", _slug_list(0), default=()),
    _Key("accreditation", _accreditation, default=()),
    _Key("ce_hours", _quarter_hours),
    _Key("references", _text_list(0), default=()),
)
_ACCREDITATION_KEYS = (
    _Key("body", _text, required=True),
    _Key("statement", _text, required=True),
    _Key("credits", _number(0), required=True),
    _Key("credit_type", _optional_text),
    _Key("provider_number", _optional_text),
    _Key("course_number", _optional_text),
)
_MODULE_KEYS = (
    _Key("title", _text, required=True),
    _Key("minutes", _whole(1), required=True),
    _Key("references", _text_list(0), default=()),
)
_QUIZ_KEYS = (
    _Key("minutes", _whole(1), required=True),
    _Key("title", _text, default="Post-test"),
)
_PROGRAMS_FILE_KEYS = (_Key("programs", lambda value, _: _list(value, 0), required=True),)
_PROGRAM_KEYS = (
    _Key("slug", lambda value, nested: _slug(value, "program"), required=True),
    _Key("title", _text, required=True),
    _Key("summary", _text, default=""),
    _Key("courses", _slug_list(1), required=True),
)


def _slug(value: Any, what: str) -> str:
    if not isinstance(value, str) or not SLUG_RE.match(value):
        raise _Invalid(f"{_describe(value)} is not a valid {what} slug: use {SLUG_RULE}")
    return value


# --------------------------------------------------------------------------- course.md, modules, programs


def _parse_course_md(text: str, ctx: _FileContext) -> tuple[CourseSettings | None, str, str, dict[tuple, int]]:
    fm = _front_matter(text, ctx)
    if fm is None:
        return None, "", "", {}
    keys = _Keys(fm.lines, 1)
    values, ok = _read_keys(fm.data, _COURSE_KEYS, ctx, keys, (), what="course.md") if fm.yaml_ok else ({}, False)
    overview_md, body_line = _body(fm.body, fm.body_line)
    _warn_level_one_headings(overview_md, body_line, ctx, "course")
    overview_html = ctx.markdown(overview_md, body_line)
    overview_html = _with_references(overview_html, values.get("references", ()), keys, ctx)
    if values.get("pass_mark", 100) < 70:
        ctx.warning(keys.line("pass_mark"), f"pass_mark {values['pass_mark']} is below 70; CE accreditors "
                                            "usually require a post-test pass mark of at least 70%")
    settings = CourseSettings(**values) if ok else None
    return settings, overview_md, overview_html, fm.lines


def _parse_module(text: str, ctx: _FileContext) -> ModuleDoc | None:
    name = PurePosixPath(ctx.path.replace("\\", "/")).name
    number, slug = _module_name(name, ctx)
    fm = _front_matter(text, ctx)
    if fm is None:
        return None
    keys = _Keys(fm.lines, 1)
    values, ok = _read_keys(fm.data, _MODULE_KEYS, ctx, keys, (), what="a module") if fm.yaml_ok else ({}, False)
    body_md, body_line = _body(fm.body, fm.body_line)
    _warn_level_one_headings(body_md, body_line, ctx, "module")
    html = _with_references(ctx.markdown(body_md, body_line), values.get("references", ()), keys, ctx)
    if values.get("references") == ():
        ctx.warning(keys.line("references"), "the module has no references; list its sources under "
                                             "'references:' in the front matter")
    if not ok or number is None:
        return None
    return ModuleDoc(path=ctx.path, number=number, slug=slug, title=values["title"], minutes=values["minutes"],
                     references_md=values["references"], body_md=body_md, html=html)


_LEVEL_ONE = re.compile(r"#(?!#)\s")


def _warn_level_one_headings(body: str, first_line: int, ctx: _FileContext, what: str) -> None:
    """Pages show the `title` as their one main heading, so the text's own sections start at ##."""
    fence = ""
    for offset, line in enumerate(body.split("\n")):
        marker = re.match(r"\s*(`{3,}|~{3,})", line)
        if marker and (not fence or marker.group(1).startswith(fence)):
            fence = "" if fence else marker.group(1)
        elif not fence and _LEVEL_ONE.match(line):
            ctx.warning(first_line + offset, f"level-1 heading '{line.strip()}': the {what} page shows the "
                                             "'title' as its main heading; start sections at ## instead")


def _with_references(html: str, references: Sequence[str], keys: _Keys, ctx: _FileContext) -> str:
    """The rendered body followed by its numbered References section (each reference checked on its line)."""
    for index, reference in enumerate(references):
        ctx.markdown(reference, keys.line("references", index), one_line=True)
    if not references:
        return html
    return f"{html}\n{render_references(references, render=lambda text, prefix: ctx.folder.render(text, prefix).html)}"


def _module_name(name: str, ctx: _FileContext) -> tuple[int | None, str]:
    match = MODULE_FILE_RE.match(name)
    if not match:
        ctx.error(1, f"module file name '{name}' must be NN-<module-slug>.md: two digits, a hyphen, the slug")
        return None, ""
    if not SLUG_RE.match(match.group(2)):
        ctx.error(1, f"module slug '{match.group(2)}' in the file name is not a valid slug: use {SLUG_RULE}")
        return None, ""
    return int(match.group(1)), match.group(2)


def _read_program(item: Any, index: int, ctx: _FileContext, keys: _Keys,
                  known_courses: Sequence[str] | None) -> ProgramDoc | None:
    values, ok = _read_keys(item, _PROGRAM_KEYS, ctx, keys, ("programs", index),
                            what="a program", label=f"program {index + 1}: ")
    for course_index, slug in enumerate(values.get("courses", ())):
        if known_courses is not None and slug not in known_courses:
            ok = False
            close = difflib.get_close_matches(slug, list(known_courses), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            name = f"program '{values['slug']}'" if "slug" in values else f"program {index + 1}"
            ctx.error(keys.line("programs", index, "courses", course_index),
                      f"{name} lists course '{slug}', which does not exist in courses/{hint}")
    return ProgramDoc(**values) if ok else None


# --------------------------------------------------------------------------- quizzes


def _parse_quiz(text: str, ctx: _FileContext) -> QuizDoc | None:
    fm = _front_matter(text, ctx)
    if fm is None:
        return None
    values, ok = _read_keys(fm.data, _QUIZ_KEYS, ctx, _Keys(fm.lines, 1), (), what="a quiz") \
        if fm.yaml_ok else ({}, False)
    items = _tokenize(fm.body.split("\n"), fm.body_line, ctx)
    if not items:
        ctx.error(fm.body_line, "the quiz has no questions; add questions after the front matter")
    questions = _QuestionPool(ctx).build(items)
    if not ok or questions is None or _has_errors(ctx.problems):
        return None
    return QuizDoc(path=ctx.path, title=values["title"], minutes=values["minutes"], questions=questions)


@dataclass(frozen=True)
class _Item:
    """One marked line of a quiz body with its continuation lines: `1.  text`, `a)  text`, `Rationale: text`…"""

    kind: str
    marker: str
    text: str
    line: int


# Markers followed by spaces or a tab and text, tried in this order (text2qti's, plus Id/Rationale/Reference).
_MARKERS = {
    "id": r"[Ii]d:",
    "rationale": r"[Rr]ationale:",
    "reference": r"[Rr]eference:",
    "question": r"\d+\.",
    "choice_correct": r"\*[a-zA-Z]\)",
    "choice": r"[a-zA-Z]\)",
    "multiple_weighted": r"\[[*-]?[^\[\]\s]*%\]",
    "multiple_correct": r"\[\*\]",
    "multiple": r"\[ ?\]",
    "accepted": r"\*",
    "feedback": r"\.\.\.",
    "correct_feedback": r"\+",
    "incorrect_feedback": r"-",
    "numeric": r"=",
    "title": r"[Tt]itle:",
    "points": r"[Pp]oints:",
    "text_title": r"[Tt]ext [Tt]itle:",
    "text": r"[Tt]ext:",
    "quiz_title": r"[Qq]uiz [Tt]itle:",
    "quiz_description": r"[Qq]uiz [Dd]escription:",
    "group_pick": r"[Pp]ick:",
    "group_points": r"[Pp]oints per question:",
    "blanks_answer": r"<>",
    "dropdown_correct": r"\{\*\}",
    "dropdown": r"\{ ?\}",
}
# Markers that are the whole line.
_BARE_MARKERS = {"essay": r"_{3,}", "upload": r"\^{3,}", "end_group": r"END_GROUP", "group": r"GROUP"}
_SINGLE_LINE = {"id", "points", "accepted", "numeric", "group_pick", "group_points"}
_MARKER_RE = re.compile("|".join(f"(?P<{kind}>{pattern})[ \t]+(?=\\S)" for kind, pattern in _MARKERS.items()))
_BARE_RE = re.compile("|".join(f"(?P<{kind}>{pattern})[ \t]*\\Z" for kind, pattern in _BARE_MARKERS.items()))
_EMPTY_MARKER_RE = re.compile("|".join(f"(?P<{kind}>{pattern})[ \t]*\\Z" for kind, pattern in _MARKERS.items()))
_NO_SPACE_RE = re.compile(r"(\d+\.|\*?[a-zA-Z]\)|\[\*?\]|" + _MARKERS["multiple_weighted"]
                          + r"|\.\.\.|=|[Ii]d:|[Rr]ationale:|[Rr]eference:)(?=\S)")
_FENCE_RE = re.compile(r"(`{3,}|~{3,})")

_UNSUPPORTED = {
    "essay": "essay questions ('____') are not supported: every question must be graded automatically",
    "upload": "file-upload questions ('^^^^') are not supported: every question must be graded automatically",
    "group": "question groups (GROUP … END_GROUP) are not supported: every question in the file is in the pool, "
             "and questions_per_attempt in course.md sets how many are drawn",
    "blanks_answer": "fill-in-multiple-blanks questions ('<>') are not supported; use short answer ('*   answer')",
    "dropdown": "multiple-dropdown questions ('{ }') are not supported; use single choice ('a)' … '*b)')",
    "text": "text regions ('Text:') are not supported: questions are drawn and shuffled, so text between them "
            "would lose its place; put the text in the question",
}
_UNSUPPORTED.update(end_group=_UNSUPPORTED["group"], group_pick=_UNSUPPORTED["group"],
                    group_points=_UNSUPPORTED["group"], dropdown_correct=_UNSUPPORTED["dropdown"],
                    text_title=_UNSUPPORTED["text"])


def _tokenize(lines: list[str], first_line: int, ctx: _FileContext) -> list[_Item]:
    """Split a quiz body into marked items, text2qti style; reports lines that fit nowhere."""
    items: list[_Item] = []
    index, indent = 0, None
    while index < len(lines):
        line = lines[index].expandtabs(4).rstrip()
        number, reported = first_line + index, len(ctx.problems)
        if not line.strip() or line.startswith("%"):
            index += 1
        elif line.strip() == "COMMENT":
            index = _skip_comment(lines, index, first_line, ctx)
        elif _FENCE_RE.match(line):
            index = _skip_code(lines, index, first_line, ctx)
        elif match := _MARKER_RE.match(line):
            kind, marker = match.lastgroup or "", match.group(match.lastgroup or 0)
            text_lines, index, indent = _continuation(lines, index, match.end(), kind, marker)
            items.append(_Item(kind, marker, "\n".join([line[match.end():], *text_lines]), number))
        elif match := _BARE_RE.match(line):
            items.append(_Item(match.lastgroup or "", line.strip(), "", number))
            index += 1
        else:
            ctx.error(number, _unexpected(line, indent))
            index += 1
        if len(ctx.problems) > reported:  # lets the question pool hold back follow-on errors
            items.append(_Item("invalid", "", "", number))
    return items


def _continuation(lines: list[str], index: int, marker_end: int, kind: str,
                  marker: str) -> tuple[list[str], int, int | None]:
    """Lines that continue the item on `lines[index]`, the index after them, and their indentation.

    After `1.`, `a)`, `...` etc. continuation lines are indented to the text
    after the marker; after `Rationale:`-style keywords by 2 or more spaces.
    Blank lines are kept when an indented line follows (several paragraphs).
    """
    if kind in _SINGLE_LINE:
        return [], index + 1, None
    indent: int | None = None if marker.endswith(":") else marker_end
    text_lines: list[str] = []
    index += 1
    while index < len(lines):
        line = lines[index].expandtabs(4).rstrip()
        if line:
            leading = len(line) - len(line.lstrip(" "))
            if indent is None and leading >= 2:
                indent = leading
            if indent is None or leading < indent:
                break
            line = line[indent:]
        text_lines.append(line)
        index += 1
    while text_lines and not text_lines[-1]:
        text_lines.pop()
        index -= 1
    return text_lines, index, indent


def _unexpected(line: str, indent: int | None) -> str:
    if line[0] == " ":
        spaces = f"{indent} spaces" if indent else "the text after the marker"
        return ("this indented line does not continue anything above it; continuation lines must be indented "
                f"to line up with the text they continue ({spaces})")
    if match := _EMPTY_MARKER_RE.match(line):
        return f"'{match.group(0).strip()}' needs text after it"
    if match := _NO_SPACE_RE.match(line):
        return f"put a space or tab after '{match.group(1)}'"
    return ("unexpected text: a question is 'Id: <id>' then '1.  <question text>', then its choices or answer, "
            "'Rationale: …' and optionally 'Reference: …'; continuation lines are indented")


def _skip_comment(lines: list[str], index: int, first_line: int, ctx: _FileContext) -> int:
    for end in range(index + 1, len(lines)):
        if lines[end].strip() == "END_COMMENT":
            return end + 1
    ctx.error(first_line + index, "COMMENT is never closed; add a line END_COMMENT after the comment")
    return len(lines)  # the rest of the file is inside the comment


def _skip_code(lines: list[str], index: int, first_line: int, ctx: _FileContext) -> int:
    """A code fence at the start of a line: executable (text2qti `{.python .run}`) or misplaced."""
    opening = lines[index].strip()
    if ".run" in opening:
        ctx.error(first_line + index, "executable code blocks are not supported; write the questions out")
    else:
        ctx.error(first_line + index, "a code block must be indented to line up with the text of the question, "
                                      "choice or feedback it belongs to")
    fence = _FENCE_RE.match(opening).group(1)  # type: ignore[union-attr]
    for end in range(index + 1, len(lines)):
        if lines[end].strip().startswith(fence) and not lines[end].strip().strip(fence[0]):
            return end + 1
    return len(lines)


_ANSWER_STYLES = {
    "choice": "single-choice choices ('a)' … '*b)')",
    "multiple": "multiple-response choices ('[ ]' / '[*]')",
    "short": "short answers ('*   answer')",
    "numeric": "a numeric answer ('=   number')",
}
_ANSWER_KIND = {"choice": "choice", "choice_correct": "choice", "multiple": "multiple",
                "multiple_correct": "multiple", "multiple_weighted": "multiple", "accepted": "short",
                "numeric": "numeric"}


@dataclass
class _Part:
    text: str
    line: int


@dataclass
class _DraftChoice:
    text: _Part
    correct: bool
    feedback: _Part | None = None
    weight: float | None = None  # percent, from a `[*50%]` / `[-100%]` marker


@dataclass
class _Draft:
    """A question while its lines are read; turned into a QuestionDoc once complete."""

    id: str | None
    text: _Part
    general: _Part | None = None
    correct_feedback: _Part | None = None
    incorrect_feedback: _Part | None = None
    answer_kind: str | None = None
    choices: list[_DraftChoice] = field(default_factory=list)
    accepted: list[_Part] = field(default_factory=list)
    numeric: _Part | None = None
    rationale: _Part | None = None
    reference: _Part | None = None
    broken: bool = False

    @property
    def has_answers(self) -> bool:
        return self.answer_kind is not None


class _QuestionPool:
    """Turns quiz items into questions: ordering rules, one question at a time, then pool-wide uniqueness."""

    def __init__(self, ctx: _FileContext):
        self.ctx = ctx
        self.pending: dict[str, _Item] = {}
        self.draft: _Draft | None = None
        self.questions: list[QuestionDoc] = []
        self.ids: dict[str, int] = {}
        self.texts: dict[str, int] = {}
        self.complete = True
        self.skipping = False

    def build(self, items: list[_Item]) -> tuple[QuestionDoc, ...] | None:
        for item in items:
            self._add(item)
        self._finish_draft()
        for item in self.pending.values():
            self.ctx.error(item.line, f"'{item.marker}' is not followed by a numbered question line ('1.  …')")
        if not self.complete or _has_errors(self.ctx.problems):
            return None
        return tuple(self.questions)

    def _add(self, item: _Item) -> None:
        if item.kind in _UNSUPPORTED:
            self.ctx.error(item.line, _UNSUPPORTED[item.kind])
            if self.draft is not None:
                self.draft.broken = True
        elif item.kind in ("quiz_title", "quiz_description"):
            what = "set 'title' in the front matter" if item.kind == "quiz_title" else "quizzes have no description"
            self.ctx.warning(item.line, f"'{item.marker}' is ignored: {what}")
        elif item.kind == "invalid":
            self._skip_after_error()
        elif item.kind in ("id", "title", "points"):
            self._before_question(item)
        elif item.kind == "question":
            self._start_question(item)
        elif self.draft is None:
            if not self.skipping:
                after = f" after '{next(iter(self.pending.values())).marker}'" if self.pending else ""
                self.ctx.error(item.line, f"'{item.marker}' must belong to a question: expected a numbered question "
                                          f"line ('1.  …'){after}")
            self._skip_after_error()
        else:
            self._add_part(self.draft, item)

    def _skip_after_error(self) -> None:
        """After a reported line, stay quiet until the next question instead of piling up follow-on errors."""
        if self.draft is not None:
            self.draft.broken = True
        self.pending = {}
        self.skipping = True

    def _before_question(self, item: _Item) -> None:
        self._finish_draft()
        self.skipping = False
        if item.kind in self.pending:
            self.ctx.error(item.line, f"a second '{item.marker}' line before the same question "
                                      f"(first on line {self.pending[item.kind].line})")
            return
        if item.kind == "points" and not _is_one(item.text):
            self.ctx.error(item.line, f"'Points: {item.text}' is not supported: every question is worth one point; "
                                      "remove the line")
        if item.kind == "id":
            self._check_id(item)
        self.pending[item.kind] = item

    def _check_id(self, item: _Item) -> None:
        value = item.text.strip()
        if not SLUG_RE.match(value):
            self.ctx.error(item.line, f"Id '{value}' is not valid: use {SLUG_RULE}")
        elif value in self.ids:
            self.ctx.error(item.line, f"Id '{value}' is already used on line {self.ids[value]}; every question "
                                      "needs its own Id (and never reuse one for a different question)")
        else:
            self.ids[value] = item.line

    def _start_question(self, item: _Item) -> None:
        self._finish_draft()
        self.skipping = False
        id_item = self.pending.get("id")
        if id_item is None:
            self.ctx.error(item.line, "the question has no Id: add 'Id: <unique-slug>' on the line before it")
        self.draft = _Draft(id=id_item.text.strip() if id_item else None, text=_Part(item.text, item.line))
        self.pending = {}
        key = normal_text(item.text).casefold()
        if key in self.texts:
            self.ctx.error(item.line, f"this question repeats the question text on line {self.texts[key]}")
        else:
            self.texts[key] = item.line

    def _add_part(self, draft: _Draft, item: _Item) -> None:
        """Record a line of the question; an out-of-order line is reported but still recorded,
        so the checks of the finished question do not add follow-on errors."""
        part = _Part(item.text, item.line)
        self._check_order(draft, item)
        if item.kind == "feedback":
            self._add_feedback(draft, part)
        elif item.kind in ("correct_feedback", "incorrect_feedback"):
            self._add_right_wrong_feedback(draft, item, part)
        elif item.kind in _ANSWER_KIND:
            self._add_answer(draft, item, part)
        elif item.kind in ("rationale", "reference"):
            setattr(draft, item.kind, part)

    def _check_order(self, draft: _Draft, item: _Item) -> None:
        if item.kind in ("rationale", "reference") and getattr(draft, item.kind) is not None:
            self.ctx.error(item.line, f"'{item.marker}' is given twice (first on line "
                                      f"{getattr(draft, item.kind).line})")
        elif item.kind == "reference" and draft.rationale is None:
            self.ctx.error(item.line, "'Reference:' must come after 'Rationale:'")
        elif item.kind not in ("rationale", "reference") and (draft.rationale or draft.reference):
            last = "Reference:" if draft.reference else "Rationale:"
            self.ctx.error(item.line, f"'{item.marker}' comes after '{last}'; 'Rationale:' and then 'Reference:' "
                                      "must be the last lines of a question")

    def _add_feedback(self, draft: _Draft, part: _Part) -> None:
        if not draft.has_answers:
            if draft.general is not None:
                self.ctx.error(part.line, f"general feedback is given twice (first on line {draft.general.line})")
            draft.general = part
        elif draft.answer_kind in ("choice", "multiple"):
            choice = draft.choices[-1]
            if choice.feedback is not None:
                self.ctx.error(part.line, f"this choice already has feedback (line {choice.feedback.line})")
            choice.feedback = part
        else:
            self.ctx.error(part.line, f"'...' after {_ANSWER_STYLES[draft.answer_kind or '']} is not supported; "
                                      "put general feedback directly after the question text")

    def _add_right_wrong_feedback(self, draft: _Draft, item: _Item, part: _Part) -> None:
        attribute = item.kind
        which = "correct" if attribute == "correct_feedback" else "incorrect"
        if draft.has_answers:
            self.ctx.error(item.line, f"'{item.marker}' ({which}-answer feedback) must come after the question text, "
                                      "before the choices or answer")
        elif getattr(draft, attribute) is not None:
            self.ctx.error(item.line, f"{which}-answer feedback is given twice "
                                      f"(first on line {getattr(draft, attribute).line})")
        else:
            setattr(draft, attribute, part)

    def _add_answer(self, draft: _Draft, item: _Item, part: _Part) -> None:
        kind = _ANSWER_KIND[item.kind]
        if draft.answer_kind not in (None, kind):
            self.ctx.error(item.line, f"this question already has {_ANSWER_STYLES[draft.answer_kind or '']}; "
                                      f"it cannot also have {_ANSWER_STYLES[kind]}")
            return
        draft.answer_kind = kind
        if item.kind == "multiple_weighted":
            weight = _weight(item.marker, item.line, self.ctx)
            draft.broken |= weight is None  # reported; the question's own checks would only repeat it
            draft.choices.append(_DraftChoice(part, correct=(weight or 0) > 0, weight=weight))
        elif kind in ("choice", "multiple"):
            draft.choices.append(_DraftChoice(part, correct=item.kind.endswith("_correct")))
        elif kind == "short":
            draft.accepted.append(part)
        elif draft.numeric is not None:
            self.ctx.error(item.line, f"the numeric answer is given twice (first on line {draft.numeric.line})")
        else:
            draft.numeric = part

    def _finish_draft(self) -> None:
        if self.draft is None:
            return
        question = _finish_question(self.draft, self.ctx)
        if question is None:
            self.complete = False
        else:
            self.questions.append(question)
        self.draft = None


def _is_one(text: str) -> bool:
    try:
        return float(text) == 1
    except ValueError:
        return False


def _finish_question(draft: _Draft, ctx: _FileContext) -> QuestionDoc | None:
    """Check a complete question and render it; None if anything is wrong."""
    errors_before = sum(p.severity == "error" for p in ctx.problems)
    label = f"question '{draft.id}'" if draft.id else "the question"
    parts = _render_parts(draft, ctx)
    qtype, numeric = None, None
    if draft.broken:
        return None
    if draft.answer_kind is None:
        ctx.error(draft.text.line, f"{label} has no answer: add single-choice choices ('a)' … '*b)'), "
                                   "multiple-response choices ('[ ]' / '[*]'), '*   accepted answer' lines or an "
                                   "'=   number' line")
    elif draft.answer_kind in ("choice", "multiple"):
        qtype = _check_choices(draft, label, ctx)
    elif draft.answer_kind == "short":
        qtype = "short"
        _check_accepted(draft, ctx)
    else:
        qtype = "numeric"
        numeric = _numeric_key(draft.numeric, ctx)  # type: ignore[arg-type]
    if draft.rationale is None:
        ctx.error(draft.text.line, f"{label} has no 'Rationale:'; explain why the keyed answer is right "
                                   "(shown to clinicians after grading)")
    if sum(p.severity == "error" for p in ctx.problems) > errors_before or qtype is None or draft.id is None:
        return None
    return QuestionDoc(
        id=draft.id, type=qtype, line=draft.text.line, numeric=numeric,
        accepted=tuple(" ".join(a.text.split()) for a in draft.accepted), **parts,
    )


def _render_parts(draft: _Draft, ctx: _FileContext) -> dict[str, Any]:
    """Markdown and HTML of every text of the question (rendering also checks links, images, raw HTML)."""
    prefix = f"q-{draft.id or draft.text.line}-"

    def md_html(part: _Part | None) -> tuple[str, str]:
        if part is None:
            return "", ""
        text = normal_text(part.text)
        return text, ctx.markdown(text, part.line, prefix=prefix)

    fields: dict[str, Any] = {}
    for name, part in (("text", draft.text), ("general_feedback", draft.general),
                       ("correct_feedback", draft.correct_feedback), ("incorrect_feedback", draft.incorrect_feedback),
                       ("rationale", draft.rationale), ("reference", draft.reference)):
        fields[f"{name}_md"], fields[f"{name}_html"] = md_html(part)
    choices = []
    weighted = _is_weighted(draft)
    for index, choice in enumerate(draft.choices):
        text_md, text_html = md_html(choice.text)
        feedback_md, feedback_html = md_html(choice.feedback)
        weight = (choice.weight if choice.weight is not None else 0.0) if weighted else None
        choices.append(ChoiceDoc(key=_choice_key(index), text_md=text_md, text_html=text_html, correct=choice.correct,
                                 feedback_md=feedback_md, feedback_html=feedback_html, weight=weight))
    fields["choices"] = tuple(choices)
    return fields


def _choice_key(index: int) -> str:
    return chr(ord("a") + index) if index < 26 else f"z{index - 25}"


def _check_choices(draft: _Draft, label: str, ctx: _FileContext) -> str | None:
    """Choice count, keyed count, duplicates; returns the question type."""
    choices = draft.choices
    correct = sum(choice.correct for choice in choices)
    seen: dict[str, int] = {}
    for choice in choices:
        key = normal_text(choice.text.text).casefold()
        if key in seen:
            ctx.error(choice.text.line, f"this choice repeats the choice on line {seen[key]}")
        seen.setdefault(key, choice.text.line)
    if len(choices) < 2:
        ctx.error(choices[0].text.line, f"{label} needs at least two choices")
        return None
    if len(choices) > 26:
        ctx.error(choices[26].text.line, f"{label} has more than 26 choices")
        return None
    if draft.answer_kind == "multiple":
        if _is_weighted(draft):
            _check_weights(draft, label, ctx)
        elif correct == 0:
            ctx.error(draft.text.line, f"multiple-response {label} has no correct choice: mark at least one "
                                       "choice '[*]'")
        return "multiple"
    if correct != 1:
        ctx.error(draft.text.line, f"single-choice {label} needs exactly one correct choice marked '*' "
                                   f"(like '*b)'), but has {correct}")
    return _true_false_or_single(draft, label, ctx)


_WEIGHT_SUM_TOLERANCE = 0.01
"""Percentage points: three choices of 33.33333% (how Moodle writes a third) add up to 100%."""
_WEIGHT_SYNTAX = "write a percentage such as '[*50%]' (earns marks) or '[-100%]' (takes marks away)"


def _weight(marker: str, line: int, ctx: _FileContext) -> float | None:
    """The percent of a `[*50%]` / `[-100%]` marker, or None with the problem reported."""
    inside = marker[1:-2]  # without the brackets and the percent sign
    sign, number = (inside[0], inside[1:]) if inside[:1] in ("*", "-") else ("", inside)
    try:
        if not sign:
            raise _Invalid(f"needs '*' for a choice that earns marks or '-' for one that takes marks away: "
                           f"write '[*{number}%]' or '[-{number}%]'")
        value = _finite_weight(number)
        if value == 0:
            raise _Invalid("is 0%; write '[ ]' for a choice that neither earns nor takes away marks")
        if not 0 < value <= 100:
            raise _Invalid("is out of range: a weight is from -100% to 100%")
    except _Invalid as exc:
        ctx.error(line, f"weight '{marker}' {exc.message}")
        return None
    return value if sign == "*" else -value


def _finite_weight(number: str) -> float:
    try:
        value = float(number)
    except ValueError:
        raise _Invalid(f"is not a number; {_WEIGHT_SYNTAX}") from None
    if not math.isfinite(value):
        raise _Invalid(f"is not a finite number; {_WEIGHT_SYNTAX}")
    return value


def _is_weighted(draft: _Draft) -> bool:
    return any(choice.weight is not None for choice in draft.choices)


def _check_weights(draft: _Draft, label: str, ctx: _FileContext) -> None:
    """Every earning choice has a weight, and those weights add up to 100% (full marks are reachable)."""
    unweighted = [choice for choice in draft.choices if choice.correct and choice.weight is None]
    for choice in unweighted:
        ctx.error(choice.text.line, f"{label} gives its choices weights, so this correct choice needs one too: "
                                    "write '[*N%]' (the weights of the correct choices add up to 100%)")
    if unweighted:
        return  # the sum is meaningless until every correct choice has its weight
    total = sum(choice.weight for choice in draft.choices if choice.weight is not None and choice.weight > 0)
    if abs(total - 100) > _WEIGHT_SUM_TOLERANCE:
        ctx.error(draft.text.line, f"the weights of the correct choices of {label} add up to {total:g}%; they must "
                                   "add up to 100% so that picking every correct choice earns full marks")


def _true_false_or_single(draft: _Draft, label: str, ctx: _FileContext) -> str:
    """Exactly the choices True and False (any case) make a true/false question."""
    texts = [normal_text(choice.text.text) for choice in draft.choices]
    if len(texts) == 2 and {t.lower() for t in texts} == {"true", "false"}:
        return "true_false"
    if len(texts) == 2 and {re.sub(r"[\W_]+", "", t).lower() for t in texts} == {"true", "false"}:
        ctx.warning(draft.text.line, f"{label} looks like true/false but its choices are {texts[0]!r} and "
                                     f"{texts[1]!r}; write exactly 'True' and 'False' to make it a true/false "
                                     "question (it is graded as single choice)")
    return "single"


def _check_accepted(draft: _Draft, ctx: _FileContext) -> None:
    seen: dict[str, int] = {}
    for answer in draft.accepted:
        key = " ".join(answer.text.split()).casefold()
        if key in seen:
            ctx.error(answer.line, f"accepted answer '{answer.text.strip()}' repeats the one on line {seen[key]} "
                                   "(matching ignores case and spacing)")
        seen.setdefault(key, answer.line)


_NUMERIC_SYNTAX = "write '=   value', '=   value +- tolerance', '=   value +- N%' or '=   [min, max]'"


def _numeric_key(part: _Part, ctx: _FileContext) -> NumericKey | None:
    """Parse `=   value`, `value +- tolerance`, `value +- N%` or `[min, max]`; report what is wrong."""
    text = part.text.strip()
    try:
        if text.startswith("["):
            if not text.endswith("]") or text.count(",") != 1:
                raise _Invalid(f"a range is '[min, max]'; {_NUMERIC_SYNTAX}")
            low, high = (_finite(x) for x in text[1:-1].split(","))
            if low > high:
                raise _Invalid(f"the minimum {low:g} is greater than the maximum {high:g}")
            return NumericKey(minimum=low, maximum=high)
        if "+-" in text:
            value_text, margin_text = text.split("+-", 1)
            value, margin_text = _finite(value_text), margin_text.strip()
            percent = margin_text.endswith("%")
            margin = _finite(margin_text[:-1] if percent else margin_text)
            if margin < 0:
                raise _Invalid(f"the tolerance {margin_text} is negative; it must be 0 or more")
            return NumericKey(value=value, tolerance_percent=margin) if percent else \
                NumericKey(value=value, tolerance=margin)
        return NumericKey(value=_finite(text))
    except _Invalid as exc:
        ctx.error(part.line, f"numeric answer '{text}': {exc.message}")
        return None


def _finite(text: str) -> float:
    try:
        number = float(text.strip())
    except ValueError:
        raise _Invalid(f"'{text.strip()}' is not a number; {_NUMERIC_SYNTAX}") from None
    if not math.isfinite(number):
        raise _Invalid(f"'{text.strip()}' is not a finite number; {_NUMERIC_SYNTAX}")
    return number
