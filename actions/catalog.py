"""Finding the product a buyer means from what they typed, by the catalog's own names and aliases."""

from __future__ import annotations

import re
from typing import List, Optional

from shop.store import ProductView


def _mentions(text: str, name: str) -> bool:
    """A Latin name matches whole words (a plural "s" allowed); a Chinese one anywhere."""
    name = name.lower()
    if not name:
        return False
    return bool(re.search(rf"(?<![a-z0-9]){re.escape(name)}s?(?![a-z0-9])", text)) if name.isascii() else name in text


def find_product(text: Optional[str], products: List[ProductView]) -> Optional[ProductView]:
    """The catalog product named in text (entity value or whole message), or None. Full names first,
    then aliases, longest first: "denim jacket" is the jacket, not the jeans of "denim"."""
    if not text:
        return None
    t = text.lower()
    for p in products:
        if _mentions(t, p.name_en) or _mentions(t, p.name_zh):
            return p
    aliases = sorted(((a, p) for p in products for a in p.aliases), key=lambda pair: -len(pair[0]))
    return next((p for alias, p in aliases if _mentions(t, alias)), None)
