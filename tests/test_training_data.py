"""The training data follows the shop: placeholders in our examples, the catalog's words and the shop's
formats filled in by scripts/training_data.py, and a tokenizer that learns the catalog's Chinese words."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.mixed_tokenizer import MixedTokenizer
from scripts.seed_shop import ALIASES, CATALOG
from scripts.training_data import PLACEHOLDER, TEMPLATES, write
from shop.config import load_shop_config
from shop.formats import EMAIL, PHONES
from shop.parsing import Identifiers
from shop.settings import ROOT
from shop.store import ProductView
from tests.shop_files import write_shop

ANNOTATION = re.compile(r"\[([^\]]*)\]\((product|colour|size|order_number)\)")


def product(sku: str, en: str, zh: str, aliases, colours=("black",), sizes=("F",)) -> ProductView:
    return ProductView(sku, en, zh, "tea", 10.0, "", "", list(colours), {s: {} for s in sizes}, {}, list(aliases))


TEA = [
    product("T1", "Tieguanyin Oolong", "铁观音", ["oolong", "乌龙茶"], sizes=("50g", "100g")),
    product("T2", "Yixing Clay Teapot", "紫砂壶", ["teapot", "茶壶"], colours=("purple clay", "red clay")),
]


def test_examples_name_no_product_or_order_of_the_demo_shop():
    """Every entity annotation is a placeholder, and no demo product name or order number is left in the text."""
    demo_names = {n.lower() for sku, en, zh, *_ in CATALOG for n in (en, zh, *ALIASES[sku]) if len(n) > 3}
    for path in sorted(TEMPLATES.glob("*.yml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            for text, entity in ANNOTATION.findall(line):
                assert text == f"{{{entity}}}", f"{path.name}: {line}"
            plain = ANNOTATION.sub("", line).lower()
            assert not re.search(r"(?<![a-z0-9])a\d{5}(?![0-9])", plain), f"{path.name}: {line}"
            assert not [n for n in demo_names if n in plain and not n.isascii()], f"{path.name}: {line}"


def test_a_catalog_fills_the_placeholders_in_each_examples_language(tmp_path):
    cfg = load_shop_config(ROOT / "demo_shops" / "teahouse" / "shop.yml")
    write(cfg, TEA, tmp_path)
    rendered = "".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("*.yml") if p.name != "shop.yml")
    assert not PLACEHOLDER.search(rendered)
    products = [text for text, entity in ANNOTATION.findall(rendered) if entity == "product"]
    names = {"Tieguanyin Oolong", "铁观音", "oolong", "乌龙茶", "Yixing Clay Teapot", "紫砂壶", "teapot", "茶壶"}
    assert set(products) <= names
    assert {"铁观音", "oolong", "茶壶"} <= set(products)
    for line in rendered.splitlines():  # a Chinese example names the product in Chinese
        names = [t for t, e in ANNOTATION.findall(line) if e == "product"]
        if names and re.search(r"[\u4e00-\u9fff]", ANNOTATION.sub("", line)):
            assert all(re.search(r"[\u4e00-\u9fff]", n) for n in names), line
    sizes = {text for text, entity in ANNOTATION.findall(rendered) if entity == "size"}
    assert sizes == {"50g", "100g"}
    ids = Identifiers.of(cfg)
    numbers = [text for text, entity in ANNOTATION.findall(rendered) if entity == "order_number"]
    assert numbers and all(ids.order_number(n) for n in numbers)
    assert any(n.startswith("#") for n in numbers)


def test_the_shop_file_holds_the_shops_regexes_and_lookup_tables(tmp_path):
    cfg = load_shop_config(ROOT / "demo_shops" / "teahouse" / "shop.yml")
    write(cfg, TEA, tmp_path)
    nlu = yaml.safe_load((tmp_path / "shop.yml").read_text(encoding="utf-8"))["nlu"]
    listed = {(x.get("regex") or x.get("lookup")): [e[2:] for e in x["examples"].splitlines()] for x in nlu}
    assert listed["email"] == [EMAIL]
    assert listed["phone"] == [PHONES[c] for c in cfg.formats.phones]
    assert listed["order_number"] == [f.pattern for f in Identifiers.of(cfg).orders]
    assert {"铁观音", "乌龙茶", "teapot"} <= set(listed["product"])
    assert {"紫泥", "purple clay", "朱泥"} <= set(listed["colour"])


def test_the_tokenizer_learns_the_catalogs_words_and_keeps_them_in_the_model(tmp_path: Path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("tokenizer")
    context = ExecutionContext(GraphSchema({}), "test")
    config = MixedTokenizer.get_default_config()
    data = TrainingData(lookup_tables=[{"name": "product", "elements": ["蜜香金骏眉", "Teapot", "青瓷盖碗"]}])
    MixedTokenizer.create(config, storage, resource, context).train(data)

    loaded = MixedTokenizer.load(config, storage, resource, context)
    untrained = MixedTokenizer.create(config, storage, Resource("other"), context)

    def tokens(tokenizer: MixedTokenizer, text: str):
        return [t.text for t in tokenizer.tokenize(Message(data={"text": text}), "text")]

    assert "蜜香金骏眉" in tokens(loaded, "蜜香金骏眉退货") and "青瓷盖碗" in tokens(loaded, "青瓷盖碗有货吗")
    assert "退货" in tokens(loaded, "蜜香金骏眉退货")  # the service words stay
    assert "蜜香金骏眉" not in tokens(untrained, "蜜香金骏眉有货吗")


def test_a_shop_with_other_masks_validates_and_a_bad_mask_is_named(tmp_path):
    def masks(raw: dict) -> None:
        raw["formats"].update(order_numbers=["9999-9999-99", "999999XXX999"], order_example="5812-3344-09")

    cfg = load_shop_config(write_shop(tmp_path, masks))
    ids = Identifiers.of(cfg)
    assert ids.order_number("订单5812 3344 09到哪了") == "5812-3344-09"
    assert ids.order_number("it's 240531abc123") == "240531ABC123"
    shopify = Identifiers(["#9{4,6}"], ["CN", "US"])
    assert shopify.order_number("order 1042 pls") == shopify.order_number("订单#1042") == "#1042"
    for phone in ("+86 138 0123 4567", "415-555-0188", "(415) 555 0188"):  # no order number inside a phone
        assert shopify.order_number(phone) is None, phone

    def broken(raw: dict) -> None:
        raw["formats"]["order_numbers"] = ["#-"]

    import pytest

    from shop.config import ShopConfigError

    with pytest.raises(ShopConfigError, match="formats.order_numbers"):
        load_shop_config(write_shop(tmp_path, broken, "broken.yml"))
