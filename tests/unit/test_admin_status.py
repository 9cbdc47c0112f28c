"""Clearance and matrix cell rules, against hand-worked cases."""
from datetime import date

from academy.admin.csvsafe import neutralise, stream
from academy.admin.status import HeldCertificate, cell_status, clearance

TODAY = date(2026, 6, 1)
valid = HeldCertificate(date(2027, 6, 1), False)
soon = HeldCertificate(date(2026, 6, 20), False)
expired = HeldCertificate(date(2026, 5, 1), False)
revoked = HeldCertificate(date(2027, 6, 1), True)
forever = HeldCertificate(None, False)


def test_cells():
    assert cell_status(None, False, False, TODAY, 60).status == "not_started"
    assert cell_status(None, True, False, TODAY, 60).status == "in_progress"
    assert cell_status(None, True, True, TODAY, 60).status == "passed"
    assert cell_status(valid, True, True, TODAY, 60).label == "Certified until 2027-06-01"
    assert cell_status(soon, True, True, TODAY, 60).status == "expiring"
    assert cell_status(soon, True, True, TODAY, 10).status == "certified"
    assert cell_status(expired, True, True, TODAY, 60).label == "Expired on 2026-05-01"
    assert cell_status(revoked, True, True, TODAY, 60).status == "revoked"
    assert cell_status(forever, True, True, TODAY, 60).label == "Certified"


def test_clearance():
    courses = [1, 2]
    assert clearance(courses, {1: valid, 2: forever}, date(2026, 7, 1), TODAY, 30).status == "cleared"
    result = clearance(courses, {1: valid, 2: soon}, None, TODAY, 30)
    assert (result.status, result.until) == ("expiring", date(2026, 6, 20))
    assert clearance(courses, {1: valid}, date(2026, 7, 1), TODAY, 30).status == "due"
    overdue = clearance(courses, {1: valid}, date(2026, 5, 1), TODAY, 30)
    assert (overdue.status, overdue.missing) == ("overdue", (2,))
    assert clearance(courses, {1: valid, 2: expired}, date(2026, 7, 1), TODAY, 30).status == "lapsed"
    assert clearance(courses, {1: revoked, 2: valid}, date(2026, 5, 1), TODAY, 30).status == "lapsed"
    assert clearance(courses, {}, date(2026, 6, 1), TODAY, 30).status == "due"  # due today: not yet overdue


def test_csv_cells_cannot_be_formulas():
    for dangerous in ("=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "\r=1"):
        assert neutralise(dangerous).startswith("'")
    assert neutralise("Zoë") == "Zoë" and neutralise(None) == "" and neutralise(1.5) == "1.5"
    text = "".join(stream(["a", "b"], [["=1", "x"]] * 1200))
    assert text.splitlines()[1] == "'=1,x" and len(text.splitlines()) == 1201
