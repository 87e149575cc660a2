"""Finding the product a buyer means from what they typed."""

from __future__ import annotations

import re
from typing import Dict, List, Optional

from shop.repository import ProductView

# Short names buyers use, by SKU. Checked after the full names, longest first.
ALIASES: Dict[str, List[str]] = {
    "LS-01": ["linen shirt", "linen", "shirt", "衬衫", "亚麻"],
    "FD-02": ["floral dress", "midi dress", "dress", "连衣裙", "碎花裙"],
    "CT-03": ["t-shirt", "tshirt", "tee", "t恤", "短袖"],
    "SJ-04": ["jeans", "denim pants", "牛仔裤"],
    "WC-05": ["cardigan", "sweater", "开衫", "毛衣"],
    "DJ-06": ["denim jacket", "jacket", "牛仔外套", "外套"],
    "RS-07": ["sneakers", "running shoes", "shoes", "跑鞋", "鞋"],
    "SS-08": ["silk scarf", "scarf", "围巾", "丝巾"],
    "LU-09": ["underwear", "lingerie", "bra", "内衣"],
    "TB-10": ["tote bag", "tote", "bag", "帆布包"],
    "FH-11": ["hoodie", "sweatshirt", "卫衣"],
    "PS-12": ["pleated skirt", "skirt", "百褶裙", "半身裙"],
}


def find_product(text: Optional[str], products: List[ProductView]) -> Optional[ProductView]:
    """The catalog product named in text (entity value or whole message), or None."""
    if not text:
        return None
    t = text.lower()
    for p in products:
        if p.name_en.lower() in t or p.name_zh in t:
            return p
    by_sku = {p.sku: p for p in products}
    pairs = sorted(((a, sku) for sku, names in ALIASES.items() for a in names), key=lambda x: -len(x[0]))
    for alias, sku in pairs:
        hit = re.search(rf"\b{re.escape(alias)}s?\b", t) if alias.isascii() else alias in t
        if hit and sku in by_sku:
            return by_sku[sku]
    return None
