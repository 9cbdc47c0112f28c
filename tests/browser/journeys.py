"""Helpers for the real-browser journeys: acting with the mouse or the keyboard alone."""
from __future__ import annotations

from academy.extensions import db
from academy.models import Question

MAX_TABS = 600


class Actor:
    """Clicks, types and chooses either with the mouse or with the keyboard alone.

    In keyboard mode an element is reached by pressing Tab until it has the
    focus (so it must be reachable in the tab order) and used with Enter,
    Space or typing — no mouse event is ever sent.
    """

    def __init__(self, page, keyboard: bool = False):
        self.page = page
        self.keyboard = keyboard

    def _focus(self, locator, reached: str = "element => document.activeElement === element") -> None:
        handle = locator.element_handle()
        for _ in range(MAX_TABS):
            if self.page.evaluate(reached, handle):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"could not reach {locator} with the Tab key")

    def _pick_radio(self, locator) -> None:
        """A radio group is one tab stop; the arrow keys move through it (and select)."""
        self._focus(locator, "e => document.activeElement && document.activeElement.type === 'radio'"
                             " && document.activeElement.name === e.name")
        handle = locator.element_handle()
        for _ in range(20):
            if self.page.evaluate("e => document.activeElement === e", handle):
                if not locator.is_checked():
                    self.page.keyboard.press("Space")
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"could not reach {locator} with the arrow keys")

    def click(self, locator, *, navigates: bool = True) -> None:
        if not self.keyboard:
            if not navigates:
                locator.click()
                return
            # Wait for the next page to load, so nothing reads a page that is being replaced.
            with self.page.expect_navigation():
                locator.click()
            return
        self._focus(locator)
        kind = locator.evaluate("e => (e.type || '').toLowerCase()")
        if kind in ("checkbox", "radio"):
            self.page.keyboard.press("Space")
            return
        if not navigates:  # e.g. a download
            self.page.keyboard.press("Enter")
            return
        # Links and buttons here load a page; wait for it as a mouse click would.
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")

    def fill(self, locator, text: str) -> None:
        if not self.keyboard:
            locator.fill(text)
            return
        self._focus(locator)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Backspace")
        self.page.keyboard.type(text)

    def choose(self, locator) -> None:
        """Tick a checkbox or pick a radio button."""
        if not self.keyboard:
            locator.check()
            return
        if locator.get_attribute("type") == "radio":
            self._pick_radio(locator)
        elif not locator.is_checked():
            self.click(locator)


def answer_quiz(actor: Actor, version_id: int, correct: bool) -> None:
    """Answer every question on the attempt page, right or wrong, from the stored key."""
    page = actor.page
    db.session.rollback()  # read what the server has committed, and hold no lock while the browser works
    for fieldset in page.locator("fieldset.question").all():
        field = fieldset.locator("input").first
        qid = field.get_attribute("name").removeprefix("q-").removesuffix("-present")
        question = db.session.scalar(db.select(Question).where(Question.version_id == version_id,
                                                                Question.qid == qid))
        key = question.answer_key
        if question.type in ("single", "true_false", "multiple"):
            wanted = set(key["correct"])
            options = fieldset.locator("input[type=radio], input[type=checkbox]").all()
            values = [o.get_attribute("value") for o in options]
            if not correct:
                wrong = [v for v in values if v not in wanted]
                wanted = set(wrong[:1]) if wrong else set()
            for option, value in zip(options, values):
                if value in wanted:
                    actor.choose(option)
        elif question.type == "short":
            actor.fill(fieldset.locator("input[type=text]"), key["accepted"][0] if correct else "not this")
        else:
            actor.fill(fieldset.locator("input[type=text]"), str(key["min"]) if correct else str(key["max"] + 999))
    db.session.rollback()
