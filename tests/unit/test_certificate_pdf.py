"""The certificate PDF shows every snapshot field, in any script we support, with a QR code of the URL."""
import io
import itertools
import json
import re
from datetime import date
from decimal import Decimal

import pytest
import segno
from pypdf import PdfReader
from pypdf.generic import ContentStream

from academy.certificates import pdf as certificate_pdf
from academy.certificates.codes import display, new_code
from academy.certificates.pdf import FontMissing, UnsupportedCharacters, render_pdf
from academy.certificates.snapshot import Snapshot
from tests.conftest import missing

STATEMENT = (
    "In support of improving patient care, this activity has been planned and implemented by Example "
    "Academy and is jointly accredited by the Accreditation Council for Continuing Medical Education "
    "(ACCME), the Accreditation Council for Pharmacy Education (ACPE), and the American Nurses "
    "Credentialing Center (ANCC), to provide continuing education for the healthcare team. Example "
    "Academy designates this enduring material for a maximum of 1.5 AMA PRA Category 1 Credits™. "
    "Physicians should claim only the credit commensurate with the extent of their participation."
)
APA_STATEMENT = ("Example Academy is approved by the American Psychological Association to sponsor "
                 "continuing education for psychologists. Example Academy maintains responsibility "
                 "for this program and its content.")


def make_snapshot(**changes) -> Snapshot:
    values = dict(
        code=new_code(), kind="course", holder_name="Łukasz Nguyễn", holder_credentials="MD, PhD",
        license_number="A123456", license_state="California",
        course_title="Foundations of Ketamine-Assisted Psychotherapy: Screening, Safety and Integration",
        course_version="2.1.0", completion_date=date(2025, 3, 14), issue_date=date(2025, 3, 15),
        ce_hours=Decimal("1.5"),
        accreditation=(
            {"body": "Joint Accreditation", "statement": STATEMENT, "credits": "1.5",
             "credit_type": "AMA PRA Category 1 Credits™", "provider_number": "JA0001234",
             "course_number": "KAP-101"},
            {"body": "American Psychological Association", "statement": APA_STATEMENT, "credits": 1.5,
             "credit_type": "CE credits", "provider_number": None, "course_number": None},
        ),
        provider_name="Example Academy of Psychedelic Medicine",
        signatory="Dr. Zoë O'Brien-Åberg, Medical Director", expires_on=date(2027, 3, 15),
    )
    values.update(changes)
    return Snapshot(**values)


def url_for(snapshot: Snapshot) -> str:
    return f"https://academy.example.org/verify/{snapshot.code}"


@pytest.fixture(autouse=True)
def dejavu_installed():
    try:
        certificate_pdf.font_path("DejaVuSans.ttf")
    except FontMissing:
        missing("DejaVu Sans", "apt-get install fonts-dejavu-core")


def page_texts(data: bytes) -> list[str]:
    """Each page's text with runs of whitespace made one space (wrapped lines join up)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def test_every_field_of_a_course_certificate_is_printed():
    snapshot = make_snapshot()
    [text] = page_texts(render_pdf(snapshot, url_for(snapshot)))
    for expected in [
        "Certificate of Completion",
        "Łukasz Nguyễn, MD, PhD",
        "License A123456, California",
        snapshot.course_title,
        "Version 2.1.0",
        "Completed March 14, 2025",
        "Issued March 15, 2025",
        "CE hours 1.5",
        "Expires March 15, 2027",
        "Delivery format: Self-paced online, enduring material",
        " ".join(STATEMENT.split()),
        "Joint Accreditation · 1.5 AMA PRA Category 1 Credits™ · Provider no. JA0001234 · Course no. KAP-101",
        APA_STATEMENT,
        "American Psychological Association · 1.5 CE credits",
        "Example Academy of Psychedelic Medicine",
        "Dr. Zoë O'Brien-Åberg, Medical Director",
        display(snapshot.code),
        url_for(snapshot),
    ]:
        assert expected in text


def test_a_program_certificate_lists_its_course_certificates_in_other_scripts():
    courses = (("Ψυχοθεραπεία με κεταμίνη", new_code()), ("Кетаминовая психотерапия", new_code()),
               ("Medical Screening", new_code()))
    snapshot = make_snapshot(kind="program", holder_name="Zoë O'Brien-Åberg", holder_credentials="LCSW",
                             license_number=None, license_state=None, expires_on=None,
                             course_title="Certificate Program in Ketamine-Assisted Psychotherapy",
                             program_courses=courses)
    [text] = page_texts(render_pdf(snapshot, url_for(snapshot)))
    assert "Program Certificate of Completion" in text
    assert "Zoë O'Brien-Åberg, LCSW" in text
    assert "License" not in text
    assert "Expires No expiry" in text
    for title, code in courses:
        assert f"{title} · {display(code)}" in text


@pytest.mark.parametrize("number,state,expected", [
    ("A123456", None, "License A123456"),
    (None, "NY", "Licensed in NY"),
])
def test_partial_licence_details(number, state, expected):
    snapshot = make_snapshot(license_number=number, license_state=state)
    [text] = page_texts(render_pdf(snapshot, url_for(snapshot)))
    assert expected in text


def test_the_fonts_are_embedded_dejavu():
    snapshot = make_snapshot()
    page = PdfReader(io.BytesIO(render_pdf(snapshot, url_for(snapshot)))).pages[0]
    fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
    assert {str(font["/BaseFont"]).split("+")[-1] for font in fonts} == {"DejaVuSansBook", "DejaVuSansBold"}
    for font in fonts:
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        assert "/FontFile2" in descriptor


def test_the_qr_code_is_exactly_segnos_symbol_for_the_verification_url():
    snapshot = make_snapshot()
    url = url_for(snapshot)
    page = PdfReader(io.BytesIO(render_pdf(snapshot, url))).pages[0]
    assert drawn_qr_matrix(page) == [list(row) for row in segno.make(url, error="m", micro=False).matrix]


def drawn_qr_matrix(page) -> list[list[int]]:
    """Rebuild the module grid from the filled rectangles (the only filled shapes on the page)."""
    operations = ContentStream(page.get_contents(), page.pdf).operations
    rects = [[float(n) for n in operands] for (operands, operator), (_, following)
             in itertools.pairwise(operations) if operator == b"re" and following == b"f"]
    assert rects, "no filled rectangles: the QR code is missing"
    module = min(abs(height) for _, _, _, height in rects)
    left, top = min(x for x, _, _, _ in rects), max(y for _, y, _, _ in rects)
    size = round((max(x + width for x, _, width, _ in rects) - left) / module)
    grid = [[0] * size for _ in range(size)]
    for x, y, width, _ in rects:
        row, first = round((top - y) / module), round((x - left) / module)
        for column in range(first, first + round(width / module)):
            grid[row][column] = 1
    return grid


@pytest.mark.parametrize("url_tail", ["", "?" + "x" * 150])
def test_every_line_stays_inside_the_frame(url_tail):
    """Measure each drawn line with the same font metrics: long statements and URLs wrap, nothing overflows."""
    snapshot = make_snapshot()
    page = PdfReader(io.BytesIO(render_pdf(snapshot, url_for(snapshot) + url_tail))).pages[0]
    frame_left, frame_right = MM * 10.5, float(page.mediabox.width) - MM * 10.5
    runs = text_runs(page)
    assert len(runs) > 20
    for text, x, size, bold in runs:
        assert frame_left < x and x + string_width(text, size, bold) < frame_right, text


MM = 72 / 25.4


def text_runs(page) -> list[tuple[str, float, float, bool]]:
    """(text, x in points, font size, bold) for every non-blank text run on the page."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            runs.append((text.strip("\n"), tm[4] * cm[0] + cm[4], size * tm[0],
                         "Bold" in str(font["/BaseFont"])))

    page.extract_text(visitor_text=visit)
    return runs


def string_width(text: str, size: float, bold: bool) -> float:
    from fpdf import FPDF

    measure = FPDF(unit="pt")
    style = "B" if bold else ""
    measure.add_font("DejaVu", style, certificate_pdf.font_path(certificate_pdf.FONT_FILES[style]))
    measure.set_font("DejaVu", style, size)
    return measure.get_string_width(text)


def test_a_long_accreditation_list_shrinks_to_fit_one_page():
    entries = tuple({"body": f"Board {n}", "statement": APA_STATEMENT, "credits": "1.5", "credit_type": None,
                     "provider_number": f"P-{n}", "course_number": None} for n in range(8))
    snapshot = make_snapshot(accreditation=entries)
    [text] = page_texts(render_pdf(snapshot, url_for(snapshot)))
    assert text.count(APA_STATEMENT) == 8
    assert "Board 7 · 1.5 · Provider no. P-7" in text


def test_a_list_too_long_for_one_page_continues_and_every_page_can_be_verified():
    entries = tuple({"body": f"Board {n}", "statement": STATEMENT, "credits": "1.5", "credit_type": "credits",
                     "provider_number": None, "course_number": None} for n in range(14))
    snapshot = make_snapshot(accreditation=entries)
    pages = page_texts(render_pdf(snapshot, url_for(snapshot)))
    assert len(pages) > 1
    assert " ".join(pages).count("Board ") == 14
    for text in pages:
        assert display(snapshot.code) in text and url_for(snapshot) in text


def test_a_very_long_url_is_printed_whole():
    snapshot = make_snapshot()
    url = url_for(snapshot) + "?" + "x" * 150
    [text] = page_texts(render_pdf(snapshot, url))
    assert url in re.sub(r"\s", "", text)


def test_missing_fonts_name_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr(certificate_pdf, "FONT_DIRS", (tmp_path,))
    with pytest.raises(FontMissing, match="fonts-dejavu-core"):
        certificate_pdf.font_path("DejaVuSans.ttf")


@pytest.mark.parametrize("name,cut", [
    ("Zoë O'Brien-Åberg", 0),
    ("Łukasz Nguyễn", 0),
    ("Αικατερίνη Παπαδοπούλου", 1),
    ("Ольга Иванова", 1),
    ("Անի Պետրոսյան", 2),
    ("ნინო ბერიძე", 2),
])
def test_names_print_with_the_smallest_font_cut_that_covers_them(name, cut):
    snapshot = make_snapshot(holder_name=name)
    [text] = page_texts(render_pdf(snapshot, url_for(snapshot)))
    assert f"{name}, MD, PhD" in text
    texts = certificate_pdf._texts(snapshot, certificate_pdf._body(snapshot), url_for(snapshot))
    assert certificate_pdf._fonts_for(texts) == certificate_pdf._prepared_fonts()[cut].paths


def test_text_the_font_cannot_print_is_refused_not_left_blank():
    snapshot = make_snapshot(holder_name="王小明")
    with pytest.raises(UnsupportedCharacters, match="U\\+738B"):
        render_pdf(snapshot, url_for(snapshot))


def test_decomposed_accents_print_as_the_composed_letters():
    snapshot = make_snapshot(holder_name="Nguye\u0302\u0303n")
    [text] = page_texts(render_pdf(snapshot, url_for(snapshot)))
    assert "Nguyễn" in text


def test_the_same_snapshot_gives_the_same_bytes():
    snapshot = make_snapshot()
    assert render_pdf(snapshot, url_for(snapshot)) == render_pdf(snapshot, url_for(snapshot))


class TestSnapshot:
    def test_json_round_trip_through_a_json_column(self):
        snapshot = make_snapshot(program_courses=(("A course", new_code()),), kind="program")
        stored = json.loads(json.dumps(snapshot.to_json()))
        assert stored["completion_date"] == "2025-03-14"
        assert stored["ce_hours"] == "1.5"
        assert Snapshot.from_json(stored) == snapshot

    def test_numbers_become_decimals(self):
        snapshot = make_snapshot(ce_hours=0.75)
        assert snapshot.ce_hours == Decimal("0.75")
        assert snapshot.accreditation[1]["credits"] == Decimal("1.5")

    def test_defaults(self):
        snapshot = make_snapshot()
        assert snapshot.delivery_format == "Self-paced online, enduring material"
        assert snapshot.program_courses == ()
        assert make_snapshot(holder_credentials=None).holder_credentials == ""

    @pytest.mark.parametrize("changes", [
        {"kind": "module"},
        {"accreditation": ({"statement": "x", "bodyy": "typo"},)},
        {"accreditation": ({"body": "APA"},)},
    ])
    def test_invalid_snapshots_are_refused(self, changes):
        with pytest.raises(ValueError):
            make_snapshot(**changes)

    def test_an_unknown_stored_format_is_refused(self):
        stored = make_snapshot().to_json() | {"format": 99}
        with pytest.raises(ValueError, match="format"):
            Snapshot.from_json(stored)
