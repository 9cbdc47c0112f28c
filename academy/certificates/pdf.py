"""render_pdf(): the printable certificate, one landscape Letter page drawn from a Snapshot.

Layout: a framed page whose body (who, what, when, how many hours, the
accreditation statements) is centred above a fixed footer (signatory on the
left; code, verification URL and QR code on the right). When the body is too
tall, every font shrinks in steps; at the smallest step the body flows onto
further pages, and each page repeats the footer so any page can be verified.

Text is set in DejaVu Sans, embedded and subset by fpdf2, because the core
PDF fonts only cover Latin-1 and clinicians' names do not.

Speed: fpdf2 parses the whole TTF for every document (about 22 ms for each
of the two 6,000-glyph DejaVu files) and subsets it again on output, which
alone broke the 50 ms budget. Once per process (about a second) we
therefore cut DejaVu down, into a private temporary folder, to the scripts
that print correctly without text shaping, dropping the layout tables and
hinting instructions that fpdf2 does not use without shaping and that PDF
viewers and printers do without. Three cuts: Latin alone (about 1,200
glyphs, all most certificates need), with Greek and Cyrillic (1,600), and
with Armenian, Georgian and the rarer Latin and Greek blocks too (2,200);
each document loads the smallest cut that covers its text. Text outside
them raises UnsupportedCharacters rather than printing a certificate with
blanks in a name.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path

import segno
from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, WrapMode, XPos, YPos

from academy.certificates.codes import display
from academy.certificates.snapshot import Snapshot

FONT_PACKAGE = "fonts-dejavu-core"
# Debian and Ubuntu first (what CI installs), then Fedora/Alpine and Arch.
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
)
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FAMILY = "DejaVu"
# Scripts that need no shaping or bidi, which fpdf2 does only with HarfBuzz;
# narrowest first. Code point ranges, inclusive.
LATIN_RANGES = (
    (0x0020, 0x007E), (0x00A0, 0x024F),  # Basic Latin, Latin-1, Extended-A and -B
    (0x02B0, 0x036F),  # spacing modifiers and combining marks
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese)
    (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x214F),  # punctuation, currency, letterlike (™)
)
GREEK_CYRILLIC_RANGES = ((0x0370, 0x03FF), (0x0400, 0x052F))
FONT_CUTS = (
    ("Latin", LATIN_RANGES),
    ("Latin, Greek and Cyrillic", LATIN_RANGES + GREEK_CYRILLIC_RANGES),
    ("Latin, Greek, Cyrillic, Armenian and Georgian", LATIN_RANGES + GREEK_CYRILLIC_RANGES + (
        (0x0250, 0x02AF),  # IPA
        (0x0530, 0x058F),  # Armenian
        (0x10A0, 0x10FF),  # Georgian
        (0x1F00, 0x1FFF),  # Greek Extended (polytonic)
        (0x2C60, 0x2C7F), (0xA720, 0xA7FF),  # Latin Extended-C and -D
    )),
)

PAGE_W, PAGE_H = 279.4, 215.9  # US Letter, landscape, in mm
PT = 25.4 / 72  # one point in mm
LEADING = 1.25
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 24.0, 20.0, 16.0
FOOTER_H = 44.0
QR_SIZE = 38.0  # includes segno's 4-module quiet zone
SIGNATURE_W = 85.0
SCALES = (1.0, 0.9, 0.8, 0.7, 0.62)  # body font sizes tried, largest first

INK = (33, 37, 41)
ACCENT = (28, 59, 107)
MUTED = (96, 101, 107)
MONTHS = ("January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December")


class FontMissing(RuntimeError):
    """DejaVu Sans is not installed where we look for it."""


class UnsupportedCharacters(ValueError):
    """The snapshot has characters the embedded font cannot print."""


@dataclass(frozen=True)
class Para:
    """One centred (or left-aligned) paragraph of the body; sizes in points at scale 1."""

    text: str
    size: float
    bold: bool = False
    color: tuple[int, int, int] = INK
    gap: float = 0.0  # mm of space above, at scale 1
    align: Align = Align.C


@dataclass(frozen=True)
class Row:
    """Label/value pairs side by side: the dates, hours and expiry."""

    pairs: tuple[tuple[str, str], ...]
    gap: float = 0.0


Block = Para | Row


def render_pdf(snapshot: Snapshot, verify_url: str) -> bytes:
    """Return the certificate PDF for `snapshot`; the QR code and footer point at `verify_url`.

    Raises FontMissing without DejaVu Sans, UnsupportedCharacters for text in
    a script the font cannot print.
    """
    blocks = list(_body(snapshot))
    fonts = _fonts_for(_texts(snapshot, blocks, verify_url))
    pdf = _CertificatePDF(snapshot, verify_url, fonts)
    scale, height = _fitting_scale(pdf, blocks)
    free = pdf.body_bottom - MARGIN_TOP - height
    pdf.set_y(MARGIN_TOP + max(4.0, free / 2))
    for block in blocks:
        _draw(pdf, block, scale)
    return bytes(pdf.output())


@dataclass(frozen=True)
class _FontCut:
    name: str
    paths: dict[str, Path]  # fpdf2 style ("" or "B") → reduced TTF
    covered: frozenset[int]  # code points both styles can print


_cuts: tuple[_FontCut, ...] | None = None  # narrowest first
_cuts_lock = threading.Lock()


def _fonts_for(texts: Iterable[str]) -> dict[str, Path]:
    """The font files of the narrowest cut that can print every character of `texts`."""
    needed = {ord(ch) for text in texts for ch in _text(text) if not ch.isspace()}
    cuts = _prepared_fonts()
    for cut in cuts:
        if needed <= cut.covered:
            return cut.paths
    shown = ", ".join(f"{chr(code)!r} (U+{code:04X})" for code in sorted(needed - cuts[-1].covered)[:10])
    raise UnsupportedCharacters(f"the certificate font cannot print {shown}: it covers {cuts[-1].name}")


def _prepared_fonts() -> tuple[_FontCut, ...]:
    """Cut DejaVu down once per process into a private folder, and again if a /tmp cleaner removed it."""
    global _cuts
    with _cuts_lock:
        if _cuts is None or not all(path.is_file() for cut in _cuts for path in cut.paths.values()):
            folder = Path(tempfile.mkdtemp(prefix="academy-fonts-"))
            atexit.register(_remove_folder, folder, os.getpid())
            _cuts = tuple(_cut(folder, index, name, ranges) for index, (name, ranges) in enumerate(FONT_CUTS))
        return _cuts


def _remove_folder(folder: Path, owner: int) -> None:
    # Forked workers (gunicorn --preload) share the folder: only its maker removes it.
    if os.getpid() == owner:
        shutil.rmtree(folder, ignore_errors=True)


def _cut(folder: Path, index: int, name: str, ranges: Sequence[tuple[int, int]]) -> _FontCut:
    paths, covered = {}, []
    for style, filename in FONT_FILES.items():
        paths[style] = folder / f"{index}-{filename}"
        covered.append(_reduce_font(font_path(filename), paths[style], ranges))
    return _FontCut(name, paths, frozenset.intersection(*covered))


def _reduce_font(source: Path, target: Path, ranges: Sequence[tuple[int, int]]) -> frozenset[int]:
    """Write `source` cut down to `ranges` at `target`; return the code points it has."""
    font = TTFont(source)
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, layout_features=[], hinting=False)
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "MATH", "FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[code for low, high in ranges for code in range(low, high + 1)])
    subsetter.subset(font)
    font.save(target)
    return frozenset(font.getBestCmap())


def _texts(snapshot: Snapshot, blocks: Iterable[Block], verify_url: str) -> Iterator[str]:
    """Every string the document prints, body and footer."""
    for block in blocks:
        if isinstance(block, Row):
            yield from (part for pair in block.pairs for part in pair)
        else:
            yield block.text
    yield from (snapshot.signatory, snapshot.provider_name, verify_url)


def font_path(filename: str) -> Path:
    """Find a DejaVu file at run time, naming the package to install when it is absent."""
    for directory in FONT_DIRS:
        candidate = directory / filename
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(directory) for directory in FONT_DIRS)
    raise FontMissing(
        f"{filename} not found in {searched}: install the {FONT_PACKAGE} package "
        f"(apt-get install {FONT_PACKAGE})"
    )


class _CertificatePDF(FPDF):
    """FPDF with the frame and the verification footer drawn on every page."""

    def __init__(self, snapshot: Snapshot, verify_url: str, fonts: dict[str, Path]) -> None:
        super().__init__(orientation="L", unit="mm", format="Letter")
        self.snapshot = snapshot
        self.verify_url = verify_url
        self.body_bottom = PAGE_H - MARGIN_BOTTOM - FOOTER_H
        # Names are data: a literal "{nb}" in one must print as typed.
        self.alias_nb_pages(None)
        self.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
        self.set_auto_page_break(True, margin=PAGE_H - self.body_bottom)
        for style, path in fonts.items():
            self.add_font(FAMILY, style, path)
        self._set_metadata()
        self.add_page()

    def _set_metadata(self) -> None:
        snapshot = self.snapshot
        self.set_title(_text(f"Certificate {display(snapshot.code)}"))
        self.set_subject(_text(snapshot.course_title))
        self.set_author(_text(snapshot.provider_name))
        self.set_lang("en")
        # Fixed, not "now": the same snapshot always gives the same bytes.
        self.set_creation_date(datetime.combine(snapshot.issue_date, time(), timezone.utc))

    def header(self) -> None:
        self.set_draw_color(*ACCENT)
        self.set_line_width(0.9)
        self.rect(8, 8, PAGE_W - 16, PAGE_H - 16)
        self.set_line_width(0.25)
        self.rect(10.5, 10.5, PAGE_W - 21, PAGE_H - 21)
        if self.page_no() > 1:
            self.set_font(FAMILY, "", 8)
            self.set_text_color(*MUTED)
            self.set_xy(MARGIN_X, 13)
            self.cell(0, 4, f"Certificate {display(self.snapshot.code)}, continued", align=Align.C)
            self.set_y(MARGIN_TOP)

    def footer(self) -> None:
        top = PAGE_H - MARGIN_BOTTOM - FOOTER_H
        self._signature(top + 14)
        self._verification(top)

    def _signature(self, line_y: float) -> None:
        self.set_draw_color(*INK)
        self.set_line_width(0.3)
        self.line(MARGIN_X, line_y, MARGIN_X + SIGNATURE_W, line_y)
        self.set_text_color(*INK)
        self.set_xy(MARGIN_X, line_y + 1.5)
        self.set_font(FAMILY, "B", 10)
        self.multi_cell(SIGNATURE_W, 4.8, _text(self.snapshot.signatory), align=Align.L,
                        new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_font(FAMILY, "", 9)
        self.set_text_color(*MUTED)
        self.multi_cell(SIGNATURE_W, 4.4, _text(self.snapshot.provider_name), align=Align.L,
                        new_x=XPos.LEFT, new_y=YPos.NEXT)

    def _verification(self, top: float) -> None:
        qr_x = PAGE_W - MARGIN_X - QR_SIZE + 4  # the quiet zone may reach into the margin
        _draw_qr(self, self.verify_url, qr_x, top + 2, QR_SIZE)
        text_x = MARGIN_X + SIGNATURE_W + 6
        text_w = qr_x - 1 - text_x
        self.set_xy(text_x, top + 9)
        self._line("Certificate code", 8, MUTED, text_w, 4)
        self._line(display(self.snapshot.code), 12, INK, text_w, 6, bold=True)
        self._line("Verify at", 8, MUTED, text_w, 5)
        # The URL shrinks to stay on one line; only a very long one wraps.
        self.set_font(FAMILY, "", 8)
        size = max(6.0, min(8.0, 8 * (text_w - 2) / self.get_string_width(self.verify_url)))
        self.set_font(FAMILY, "", size)
        self.set_text_color(*ACCENT)
        self.multi_cell(text_w, size * PT * LEADING, self.verify_url, align=Align.R, wrapmode=WrapMode.CHAR,
                        link=self.verify_url, new_x=XPos.LEFT, new_y=YPos.NEXT)

    def _line(self, text: str, size: float, color: tuple[int, int, int], width: float,
              height: float, *, bold: bool = False) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        self.set_text_color(*color)
        self.cell(width, height, text, align=Align.R, new_x=XPos.LEFT, new_y=YPos.NEXT)


def _body(snapshot: Snapshot) -> Iterator[Block]:
    """The body, top to bottom, as blocks that can be measured before they are drawn."""
    program = snapshot.kind == "program"
    yield Para(snapshot.provider_name, 11, color=MUTED)
    yield Para("Program Certificate of Completion" if program else "Certificate of Completion",
               26, bold=True, color=ACCENT, gap=2)
    yield Para("This certifies that", 11, color=MUTED, gap=5)
    yield Para(_holder(snapshot), 24, bold=True, gap=2)
    license_line = _license(snapshot)
    if license_line:
        yield Para(license_line, 10, color=MUTED, gap=1)
    yield Para("has completed the program" if program else "has completed", 11, color=MUTED, gap=4)
    yield Para(snapshot.course_title, 17, bold=True, gap=2)
    yield Para(f"Version {snapshot.course_version}", 10, color=MUTED, gap=1)
    yield Row((
        ("Completed", _date(snapshot.completion_date)),
        ("Issued", _date(snapshot.issue_date)),
        ("CE hours", _number(snapshot.ce_hours)),
        ("Expires", _date(snapshot.expires_on) if snapshot.expires_on else "No expiry"),
    ), gap=6)
    yield Para(f"Delivery format: {snapshot.delivery_format}", 9.5, color=MUTED, gap=3)
    if snapshot.program_courses:
        yield Para("Courses completed", 9.5, bold=True, color=ACCENT, gap=5)
        for title, code in snapshot.program_courses:
            yield Para(f"{title}  ·  {display(code)}", 9, gap=1)
    if snapshot.accreditation:
        yield Para("Accreditation", 9.5, bold=True, color=ACCENT, gap=5)
        for entry in snapshot.accreditation:
            yield Para(entry["statement"], 8.5, gap=1.5, align=Align.L)
            yield Para(_accreditation_details(entry), 7.5, color=MUTED, gap=0.5, align=Align.L)


def _holder(snapshot: Snapshot) -> str:
    credentials = snapshot.holder_credentials.strip()
    return f"{snapshot.holder_name}, {credentials}" if credentials else snapshot.holder_name


def _license(snapshot: Snapshot) -> str:
    number, state = snapshot.license_number, snapshot.license_state
    if number and state:
        return f"License {number}, {state}"
    if number:
        return f"License {number}"
    return f"Licensed in {state}" if state else ""


def _accreditation_details(entry: dict) -> str:
    credits = " ".join(part for part in (
        _number(entry["credits"]) if entry["credits"] is not None else "",
        entry["credit_type"] or "",
    ) if part)
    parts = (
        entry["body"],
        credits,
        f"Provider no. {entry['provider_number']}" if entry["provider_number"] else "",
        f"Course no. {entry['course_number']}" if entry["course_number"] else "",
    )
    return "  ·  ".join(part for part in parts if part)


def _date(value: date) -> str:
    # Spelled out, not 03/04/2025, which US and other readers take differently.
    return f"{MONTHS[value.month - 1]} {value.day}, {value.year}"


def _number(value: Decimal) -> str:
    """1.50 → "1.5", 12.0 → "12": hours and credits as a person writes them."""
    return format(value.normalize(), "f")


def _text(value: str) -> str:
    # Composed forms: the font has "ễ" as one glyph, and fpdf2 does not shape
    # a base letter plus combining marks without HarfBuzz.
    return unicodedata.normalize("NFC", value)


def _fitting_scale(pdf: _CertificatePDF, blocks: Sequence[Block]) -> tuple[float, float]:
    """The largest scale whose body fits above the footer (the smallest when none does), and its height."""
    available = pdf.body_bottom - MARGIN_TOP - 8
    for scale in SCALES:
        height = sum(_draw(pdf, block, scale, dry_run=True) for block in blocks)
        if height <= available:
            break
    return scale, height


def _draw(pdf: FPDF, block: Block, scale: float, *, dry_run: bool = False) -> float:
    """Draw a block at the current y (or only measure it); return the height it takes."""
    if isinstance(block, Row):
        return _draw_row(pdf, block, scale, dry_run)
    pdf.set_font(FAMILY, "B" if block.bold else "", block.size * scale)
    pdf.set_text_color(*block.color)
    line_h = block.size * scale * PT * LEADING
    gap = block.gap * scale
    lines = _wrap(pdf, _text(block.text), pdf.epw - 2 * pdf.c_margin)
    if not dry_run:
        pdf.set_y(pdf.get_y() + gap)
        for line in lines:
            pdf.cell(0, line_h, line, align=block.align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return gap + len(lines) * line_h


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Break `text` into lines no wider than `width` in the current font, at spaces.

    Our own greedy wrap rather than multi_cell: fpdf2 re-measures the growing
    line for every character, which made a 600-character accreditation
    statement the slowest part of the certificate. Each word is measured once
    here (no kerning without shaping, so widths add up).
    """
    space = pdf.get_string_width(" ")
    lines, line, line_w = [], "", 0.0
    for word in text.split():
        word_w = pdf.get_string_width(word)
        pieces = [(word, word_w)] if word_w <= width else _slices(pdf, word, width)
        for piece, piece_w in pieces:
            if line and line_w + space + piece_w > width:
                lines.append(line)
                line, line_w = "", 0.0
            line, line_w = (f"{line} {piece}", line_w + space + piece_w) if line else (piece, piece_w)
    lines.append(line)
    return lines


def _slices(pdf: FPDF, word: str, width: float) -> list[tuple[str, float]]:
    """Cut a word wider than a whole line (a long URL, say) into slices that fit, with their widths."""
    slices, piece, piece_w = [], "", 0.0
    for ch in word:
        ch_w = pdf.get_string_width(ch)
        if piece and piece_w + ch_w > width:
            slices.append((piece, piece_w))
            piece, piece_w = "", 0.0
        piece, piece_w = piece + ch, piece_w + ch_w
    slices.append((piece, piece_w))
    return slices


def _draw_row(pdf: FPDF, row: Row, scale: float, dry_run: bool) -> float:
    label_h, value_h = 4.5 * scale, 6.5 * scale
    height = row.gap * scale + label_h + value_h
    if dry_run:
        return height
    pdf.set_y(pdf.get_y() + row.gap * scale)
    top = pdf.get_y()
    column_w = pdf.epw / len(row.pairs)
    for index, (label, value) in enumerate(row.pairs):
        pdf.set_xy(pdf.l_margin + index * column_w, top)
        pdf.set_font(FAMILY, "", 8 * scale)
        pdf.set_text_color(*MUTED)
        pdf.cell(column_w, label_h, label, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "B", 12 * scale)
        pdf.set_text_color(*INK)
        pdf.cell(column_w, value_h, value, align=Align.C)
    pdf.set_xy(pdf.l_margin, top + label_h + value_h)
    return height


def _draw_qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as filled rectangles, one per horizontal run of dark modules.

    Vectors stay sharp at any print size and cost far less than encoding and
    embedding a PNG.
    """
    qr = segno.make(data, error="m", micro=False)
    modules = len(qr.matrix) + 8  # 4-module quiet zone on each side
    module = size / modules
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(qr.matrix):
        for start, length in _dark_runs(row):
            pdf.rect(x + (start + 4) * module, y + (row_index + 4) * module,
                     length * module, module, style="F")


def _dark_runs(row: Sequence[int]) -> Iterator[tuple[int, int]]:
    """(start, length) of each run of dark modules in one row of the symbol."""
    start = None
    for index, dark in enumerate([*row, 0]):
        if dark and start is None:
            start = index
        elif not dark and start is not None:
            yield start, index - start
            start = None
