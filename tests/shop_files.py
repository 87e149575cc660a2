"""Variants of shop.yml for tests: the shipped file with a change applied."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import yaml

from shop.settings import ROOT


def write_shop(folder: Path, mutate: Callable[[dict], object], name: str = "shop.yml",
               source: Path = ROOT / "shop.yml") -> Path:  # fmt: skip
    raw = yaml.safe_load(source.read_text())
    mutate(raw)
    path = folder / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return path


def always_open(raw: dict) -> None:
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    raw["business_hours"] = {"days": every_day, "open": "00:00", "close": "24:00"}
