"""How the catalog vocabulary is written: ``|``-separated text, optionally weighted.

Lists are written as ``|``-separated text because hundreds of one-word tuple items
would each take a line once formatted.
"""

from __future__ import annotations


def words(text: str) -> tuple[str, ...]:
    """Split ``|``/newline separated text into stripped, non-empty items."""
    return tuple(item.strip() for item in text.replace("\n", "|").split("|") if item.strip())


def weighted(text: str) -> tuple[tuple[str, float], ...]:
    """Parse "name:weight | ..." so weighted lists stay on a line or two."""
    pairs = (item.rsplit(":", 1) for item in words(text))
    return tuple((name, float(weight)) for name, weight in pairs)
