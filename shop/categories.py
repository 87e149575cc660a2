"""categories.yml: which question category each intent belongs to."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Dict

import yaml

from shop.settings import ROOT

FIVE = ("order", "returns", "product", "payment", "complaint")


@functools.lru_cache(maxsize=None)
def intent_categories(path: Path = ROOT / "categories.yml") -> Dict[str, str]:
    """intent -> category (a file in the repository, read once: it changes only with the code)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {intent: category for category, intents in raw.items() for intent in intents}


def category_of(intent: str) -> str:
    return intent_categories().get(intent, "other")
