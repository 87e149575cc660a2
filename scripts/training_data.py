"""The NLU training data of one shop: our examples filled with the shop's catalog and formats.

    python -m scripts.training_data [--out DIR]     # the shop of KEFU_SHOP_CONFIG; default var/nlu/<shop>

The examples in data/nlu/ name no product, colour, size or order number of any shop: they hold
placeholders, ``{product}``, ``{colour}``, ``{size}`` and ``{order_number}``, annotated where the words
are entities (``[{product}](product)``). This fills each one from the shop's catalog, read through the
adapter shop.yml names, in the language of its example (an example with Chinese gets a Chinese name),
with a fixed seed per example so the same catalog always gives the same data. It also writes
``shop.yml`` beside them: the regexes of the shop's order numbers, emails and phones, and lookup
tables of its product names, aliases and colours, whose Chinese entries the tokenizer learns as words.
`make train` runs this before `rasa train`, so a new catalog retrains into the new words.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence

from scripts.seed_shop import seed
from shop.config import ShopConfig, load_shop_config
from shop.formats import EMAIL, HAS_CJK
from shop.parsing import Identifiers
from shop.platforms import open_store
from shop.settings import ROOT, Settings
from shop.store import ProductView

TEMPLATES = ROOT / "data" / "nlu"
PLACEHOLDER = re.compile(r"\{(product|colour|size|order_number)\}")
EXAMPLE_LINE = re.compile(r"^(\s*- )(.*)$")
HASH_BEFORE_NUMBER = re.compile(r"#\[#?([^\]]*)\]\(order_number\)")
FALLBACK_SIZES = ["S", "M", "L"]  # a catalog without sizes still trains the size questions


class EmptyCatalog(SystemExit):
    """The shop's platform answered with no products: there is nothing to train the product words on."""


@dataclass
class Vocabulary:
    """What the placeholders are filled with, by language."""

    products: Dict[str, List[str]] = field(default_factory=lambda: {"en": [], "zh": []})
    colours: Dict[str, List[str]] = field(default_factory=lambda: {"en": [], "zh": []})
    sizes: List[str] = field(default_factory=list)
    ids: Identifiers | None = None

    @classmethod
    def of(cls, cfg: ShopConfig, products: Sequence[ProductView]) -> "Vocabulary":
        v = cls(ids=Identifiers.of(cfg))
        for p in products:
            v.products["en"].append(_bare(p.name_en))
            v.products["zh"].append(_bare(p.name_zh))
            for alias in p.aliases:
                # a one-character Chinese alias ("鞋") is a word of longer words: it makes poor examples
                if HAS_CJK.search(alias):
                    if len(alias) > 1:
                        v.products["zh"].append(alias)
                else:
                    v.products["en"].append(alias)
            for size in p.size_chart:
                if size != "F" and size not in v.sizes:
                    v.sizes.append(size)
            for key in p.colours:
                for lang in ("en", "zh"):
                    word = cfg.colour_name(key, lang)
                    if word not in v.colours[lang]:
                        v.colours[lang].append(word)
        v.sizes = v.sizes or FALLBACK_SIZES
        for lang in ("en", "zh"):  # a catalog without colours (or Chinese names) borrows the other list
            v.colours[lang] = v.colours[lang] or v.colours["en" if lang == "zh" else "zh"] or ["black"]
            v.products[lang] = _unique(v.products[lang]) or _unique(v.products["en" if lang == "zh" else "zh"])
        return v

    def fill(self, kind: str, lang: str, rng: random.Random) -> str:
        if kind == "product":
            return rng.choice(self.products[lang])
        if kind == "colour":
            return rng.choice(self.colours[lang])
        if kind == "size":
            return rng.choice(self.sizes)
        number = rng.choice(self.ids.orders).sample(rng)
        return number.lower() if rng.random() < 0.1 else number  # buyers type letters in lower case too


def _bare(name: str) -> str:
    """A name without its bracketed note ("Celadon Cup Set (4 cups)"): buyers leave it out."""
    return re.sub(r"\s*[(（][^)）]*[)）]", "", name).strip() or name


def _unique(words: List[str]) -> List[str]:
    return list(dict.fromkeys(w for w in words if w))


def render_line(line: str, vocab: Vocabulary, seed: str) -> str:
    """One example line with its placeholders filled, in the example's language."""
    m = EXAMPLE_LINE.match(line)
    if not m or not PLACEHOLDER.search(line):
        return line
    lang = "zh" if HAS_CJK.search(PLACEHOLDER.sub("", m.group(2))) else "en"
    rng = random.Random(int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16))
    text = PLACEHOLDER.sub(lambda p: vocab.fill(p.group(1), lang, rng), m.group(2))
    # a "#" typed before an order number is part of it (one token, and the regex takes it too)
    return m.group(1) + HASH_BEFORE_NUMBER.sub(r"[#\1](order_number)", text)


def shop_nlu(cfg: ShopConfig, vocab: Vocabulary, products: Sequence[ProductView]) -> str:
    """Regexes of the shop's identifiers and lookup tables of its catalog words, in Rasa's format."""
    names = _unique([w for p in products for w in (p.name_en, p.name_zh, *p.aliases)])
    colour_words = _unique([w for lang in ("en", "zh") for w in vocab.colours[lang]])
    colour_words += [w for w in cfg.colour_words() if w not in colour_words]

    sections = [
        ("regex", "order_number", [f.pattern for f in vocab.ids.orders]),
        ("regex", "email", [EMAIL]),
        ("regex", "phone", vocab.ids.phone_patterns),
        ("lookup", "product", names),
        ("lookup", "colour", colour_words),
    ]
    out = ["# written by scripts/training_data.py from the shop's catalog and shop.yml", 'version: "3.1"', "nlu:"]
    for kind, name, items in sections:
        if items:  # a block literal keeps every pattern exactly as written
            out += [f"- {kind}: {name}", "  examples: |", *(f"    - {item}" for item in items)]
    return "\n".join(out) + "\n"


def write(cfg: ShopConfig, products: Sequence[ProductView], out: Path, reviewed: Path | None = None) -> Dict[str, int]:
    """Render every template file into out/, and out/shop.yml; the counts written. `reviewed`: the examples a trainer
    accepted (shop.settings reviewed_nlu), rendered too when it lies outside data/nlu/."""
    vocab = Vocabulary.of(cfg, products)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.yml"):
        old.unlink()  # a template removed from data/nlu/ must not train on
    templates = [(t, t.name) for t in sorted(TEMPLATES.glob("*.yml"))]
    if reviewed is not None and reviewed.is_file() and reviewed.resolve().parent != TEMPLATES.resolve():
        templates.append((reviewed, f"accepted_{reviewed.name}"))
    filled = 0
    for template, name in templates:
        lines = template.read_text(encoding="utf-8").splitlines()
        rendered = [render_line(line, vocab, f"{template.name}:{i}") for i, line in enumerate(lines)]
        filled += sum(a != b for a, b in zip(lines, rendered, strict=True))
        (out / name).write_text("\n".join(rendered) + "\n", encoding="utf-8")
    (out / "shop.yml").write_text(shop_nlu(cfg, vocab, products), encoding="utf-8")
    return {"products": len(products), "examples_filled": filled, "sizes": len(vocab.sizes)}


def shop_name(settings: Settings) -> str:
    """ "shop" for the shop.yml at the root, the folder's name for demo_shops/<name>/shop.yml, else the file's stem."""
    path = settings.shop_config.resolve()
    return path.parent.name if path.name == "shop.yml" and path.parent != ROOT else path.stem


def default_out(settings: Settings) -> Path:
    return settings.var_dir / "nlu" / shop_name(settings)


def model_path(settings: Settings) -> Path:
    """models/kefu.tar.gz for the root shop.yml, models/kefu-<name>.tar.gz for another shop."""
    name = shop_name(settings)
    return ROOT / "models" / ("kefu.tar.gz" if name == "shop" else f"kefu-{name}.tar.gz")


def render(settings: Settings, out: Path | None = None) -> Path:
    """Read the catalog of the shop settings name and write its training data; the folder written."""
    cfg = load_shop_config(settings.shop_config)
    if cfg.store.adapter == "kefu_sql" and not settings.production:
        seed(settings.database_url)  # the built-in demo shop; does nothing to a database that has orders
    store = open_store(cfg, settings, patient=True)
    try:
        products = store.products()
    finally:
        store.close()
    if not products:
        raise EmptyCatalog(f"the shop's catalog ({cfg.store.adapter}) has no products: nothing to train on")
    out = out or default_out(settings)
    counts = write(cfg, products, out, settings.reviewed_nlu)
    print(f"{out}: {counts['products']} products, {counts['examples_filled']} examples filled", file=sys.stderr)
    return out


def main(argv: List[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="folder for the rendered data (default var/nlu/<shop>)")
    print(render(Settings.from_env(), ap.parse_args(argv).out))


if __name__ == "__main__":
    main()
