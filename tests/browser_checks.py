"""Checks a phone-sized page must pass: header height, target sizes, no overflow."""

# Targets: links, buttons, summaries and form controls that are visible on screen. The skip link
# sits off-screen until focused; hidden inputs and closed menus are not rendered.
SMALL_TARGETS_JS = """
() => {
  const out = [];
  const selector = 'a[href], button, summary, input:not([type=hidden]), select, textarea';
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right < 0 || r.bottom < 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    if (r.width < 24 || r.height < 24) {
      const name = (el.textContent || el.name || '').trim().slice(0, 40);
      const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
      out.push(`${el.tagName.toLowerCase()} "${name}" ${size}`);
    }
  }
  return out;
}
"""


def header_height(page) -> float:
    return page.locator("header.top").bounding_box()["height"]


def small_targets(page) -> list[str]:
    return page.evaluate(SMALL_TARGETS_JS)


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def login(page, base: str, email: str, password: str) -> None:
    """Sign in through /masuk/ as a person would, and wait for the next page."""
    page.goto(base + "/masuk/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
