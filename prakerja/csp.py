"""Hashes for the Content-Security-Policy of the two self-contained pages.

The 500 page and the waiting room carry their style inline on purpose (the 500 page must render
when static files or the database fail; the waiting room must cost one request). Instead of
allowing every inline style, the policy allows exactly these blocks by their SHA-256, computed
from the templates at start-up so an edit to a template cannot leave the policy stale.
"""

import base64
import hashlib
import re
from pathlib import Path

_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def inline_style_hashes(*templates: Path) -> list[str]:
    """``'sha256-...'`` source expressions for every ``<style>`` block in ``templates``."""
    sources = []
    for template in templates:
        for block in _STYLE.findall(template.read_text(encoding="utf-8")):
            digest = hashlib.sha256(block.encode("utf-8")).digest()
            sources.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    return sources
