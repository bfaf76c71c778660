"""Shared helpers of the browser journeys: logging in, axe-core checks, screenshots and
answering the shown study card with the keyboard only."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page, expect

E2E_DIR = Path(__file__).resolve().parent
AXE_JS = E2E_DIR / "vendor" / "axe.min.js"
REPO_DIR = E2E_DIR.parent.parent
SCREENSHOTS = REPO_DIR / "docs" / "screenshots"
GIFT_SAMPLE = E2E_DIR / "data" / "muscle-relaxants.gift"

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
BLOCKING_IMPACTS = ("serious", "critical")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass
class RunReport:
    """What the run saw besides pass/fail, printed at the end of `make e2e`."""

    axe: list[dict] = field(default_factory=list)  # one entry per (page, violation)
    pages_checked: list[str] = field(default_factory=list)
    overflow: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    screenshots: list[str] = field(default_factory=list)


REPORT = RunReport()


# --- accounts ---------------------------------------------------------------------------


def log_in(page: Page, base_url: str, username: str, password: str, axe=None) -> None:
    """Log in through the login form; with `axe`, check the login page and the landing page."""
    page.goto(f"{base_url}/accounts/login/")
    if axe:
        axe.check(page, "login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("header.topbar")).to_contain_text(f"({username})")
    if axe:
        axe.check(page, f"after login ({username})")


# --- known app bugs ---------------------------------------------------------------------


class KnownAppBug(Exception):
    """Raised by `known_app_bug` only: a test marked `xfail(raises=KnownAppBug, strict=False)`
    then xfails for that bug alone, and fails as usual on anything else (a login that
    breaks, a page that answers 500). XPASS in the summary: the bug is fixed, drop the mark."""


@contextmanager
def known_app_bug(what: str):
    """`with known_app_bug("what is wrong"):` around the one check the app fails today."""
    try:
        yield
    except AssertionError as exc:
        raise KnownAppBug(f"{what}: {exc}") from exc


# --- axe-core ---------------------------------------------------------------------------

_AXE_RUN = r"""async () => {
  const result = await window.axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.map(n => n.target.join(" ")),
    details: v.nodes.map(n => n.target.join(" ") + ": "
      + ((n.any[0] || n.all[0] || n.none[0] || {}).message || "").replace(/\s+/g, " ")),
  }));
}"""


# Serious violations the app has today. Each is an app bug reported to its owners (see the
# end-of-run report); it is tolerated only on exactly the nodes described here, so any other
# serious or critical violation still fails. Delete an entry once its bug is fixed: the
# end-of-run report names the entries that no page showed.
KNOWN_APP_VIOLATIONS: dict[str, tuple[str, str]] = {}
KNOWN_SEEN: set[str] = set()


_PARENT_MATCHES = """([target, parent]) => {
  const e = document.querySelector(target);
  return !!(e && e.parentElement && e.parentElement.matches(parent));
}"""


def _known(page: Page, rule: str, target: str, detail: str) -> str | None:
    for name, (known_rule, marker) in KNOWN_APP_VIOLATIONS.items():
        if rule != known_rule:
            continue
        if rule == "color-contrast" and marker in detail:
            return name
        if rule == "listitem" and page.evaluate(_PARENT_MATCHES, [target, marker]):
            return name
    return None


class Axe:
    """Runs axe-core on the current page. A serious or critical violation fails the test at
    once (naming each rule, its help text and the offending nodes) unless it is one of the
    KNOWN_APP_VIOLATIONS; every violation of any impact is kept for the end-of-run report."""

    def check(self, page: Page, label: str) -> list[dict]:
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE_JS))  # needs the context's bypass_csp=True
        violations = page.evaluate(_AXE_RUN)
        REPORT.pages_checked.append(label)
        blocking = []
        for v in violations:
            known = [_known(page, v["id"], t, d) for t, d in zip(v["targets"], v["details"], strict=True)]
            KNOWN_SEEN.update(k for k in known if k)
            REPORT.axe.append({**v, "page": label, "url": page.url, "known": known})
            unknown = [t for t, k in zip(v["targets"], known, strict=True) if not k]
            if v["impact"] in BLOCKING_IMPACTS and unknown:
                blocking.append({**v, "targets": unknown})
        assert not blocking, (
            f"axe: {len(blocking)} serious/critical violation(s) on {label} ({page.url}):\n"
            + "\n".join(
                f"  [{v['impact']}] {v['id']}: {v['help']}\n      nodes: {', '.join(v['targets'][:8])}"
                for v in blocking
            )
        )
        return violations


# --- screenshots ------------------------------------------------------------------------


_WIDER_THAN = r"""(width) => Array.from(document.querySelectorAll("body *"))
  .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right > width + 1; })
  .slice(0, 6)
  .map(el => {
    const cls = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\s+/).join(".") : "";
    const id = el.id ? "#" + el.id : "";
    return el.tagName.toLowerCase() + id + cls + " (right edge " + Math.round(el.getBoundingClientRect().right) + "px)";
  })"""


def screenshots(page: Page, name: str, *, start_at: str | None = None) -> None:
    """`docs/screenshots/<name>-laptop.png` and `-phone.png`: the whole page from the top
    (at most two screens tall, so a long list stays a readable image; wider than the
    screen when the page overflows sideways, which is then also noted in the report).
    `start_at`: a CSS selector; the image starts at that element instead of the top (for a
    section far down a long page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.evaluate(
            "() => new Promise(r => { window.scrollTo(0, 0); requestAnimationFrame(() => requestAnimationFrame(r)); })"
        )
        path = SCREENSHOTS / f"{name}-{label}.png"
        width, height = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        top = 0
        if start_at:
            element_top = page.locator(start_at).first.evaluate("e => e.getBoundingClientRect().top + scrollY")
            top = max(0, int(element_top) - 12)
        clip = {"x": 0, "y": top, "width": width, "height": min(height - top, 2 * size["height"])}
        page.screenshot(path=str(path), full_page=True, clip=clip, animations="disabled", caret="hide")
        REPORT.screenshots.append(path.name)
        wide = page.evaluate(_WIDER_THAN, size["width"])
        if wide:
            REPORT.overflow.append(f"{name} at {label} ({size['width']}px): " + "; ".join(wide))
    page.set_viewport_size(LAPTOP)


# --- studying with the keyboard ---------------------------------------------------------


def wait_for_htmx(page: Page) -> None:
    """Wait until htmx has finished swapping, settling and processing new content (its
    hx-* attributes are live only after the settle step, ~20 ms after the swap)."""
    page.wait_for_function(
        "() => document.readyState === 'complete' && window.htmx"
        " && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def shown_card_id(page: Page) -> int:
    panel = page.locator("#panel")
    reveal = panel.locator("#reveal")
    if reveal.count():
        return int(re.search(r"/reveal/(\d+)/", reveal.get_attribute("href")).group(1))
    return int(panel.locator('input[name="card"]').get_attribute("value"))


def focus_with_tab(page: Page, element_id: str, limit: int = 40) -> None:
    """Press Tab until the element with this id has the focus (keyboard only)."""
    for _ in range(limit):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} never got the focus after {limit} Tab presses")


def answer_by_keyboard(page: Page, *, rating_key: str = "3") -> tuple[int, str]:
    """Answer the card on screen correctly with the keyboard only; wait for the feedback (for
    a flashcard, rated with `rating_key`: for the next card). Returns (card id, question kind)."""
    from cards.core.grading import cloze_deletions
    from cards.models import Card

    panel = page.locator("#panel")
    expect(panel).to_have_attribute("data-mode", "question")
    wait_for_htmx(page)
    card_id = shown_card_id(page)
    card = Card.objects.select_related("question").get(pk=card_id)
    question = card.question
    if question.kind == "flashcard":
        page.keyboard.press("Space")  # reveal
        expect(panel).to_have_attribute("data-mode", "reveal")
        wait_for_htmx(page)
        page.keyboard.press(rating_key)  # 1-4 rate: straight on to the next card, no feedback
        expect(panel).not_to_have_attribute("data-mode", "reveal")
        expect(panel.locator(".msg-success")).to_contain_text("Rated")
        wait_for_htmx(page)
        return card_id, question.kind
    elif question.kind in ("single", "multiple", "truefalse"):
        correct = {str(pk) for pk in question.choices.filter(correct=True).values_list("pk", flat=True)}
        options = panel.locator("input[data-index]")
        picked = 0
        for i in range(options.count()):
            if options.nth(i).get_attribute("value") in correct:
                page.keyboard.press(options.nth(i).get_attribute("data-index"))
                picked += 1
        assert picked == len(correct), f"card {card_id}: {picked} of {len(correct)} correct choices on screen"
        page.keyboard.press("Enter")
    else:
        text = question.answers[0] if question.kind == "short" else cloze_deletions(question.prompt)[card.cloze][0]
        focus_with_tab(page, "answer-text")
        page.keyboard.type(text)
        page.keyboard.press("Enter")
    expect(panel).to_have_attribute("data-mode", "feedback")
    wait_for_htmx(page)
    return card_id, question.kind
