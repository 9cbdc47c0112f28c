"""axe-core (as shipped inside the axe-playwright-python package; never from a CDN) run on a page."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@lru_cache(maxsize=1)
def axe_source() -> str:
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def violations(page) -> list[dict]:
    """WCAG 2.1 A/AA violations on the page as it is now."""
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate("""tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                       resultTypes: ['violations']})""", WCAG_TAGS)
    return result["violations"]


class Auditor:
    """Collects violations from every page a journey visits, in every state it reaches."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.pages = 0

    def check(self, page, state: str) -> None:
        self.pages += 1
        for violation in violations(page):
            nodes = "; ".join(node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
                              for node in violation["nodes"][:3])
            self.found.append(f"{state} ({page.url}): {violation['id']} [{violation['impact']}] "
                              f"{violation['help']}: {nodes}")

    def assert_clean(self) -> None:
        assert self.pages > 0
        assert not self.found, "accessibility violations:\n" + "\n".join(self.found)
