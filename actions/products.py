"""Product questions answered from the catalog: size advice, material, colours, stock."""

from __future__ import annotations

import asyncio
import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.buyer_text import parse_height_cm, parse_weight_kg
from actions.catalog import find_product
from actions.context import Events, Turn, shop_may_be_down
from actions.labels import join
from shop.store import NO_COLOUR, ONE_SIZE, ProductView

Chart = Dict[str, Dict[str, List[float]]]


async def _product(turn: Turn) -> Optional[ProductView]:
    """The product named now, else the one talked about before in this conversation."""
    products = await asyncio.to_thread(turn.repo.products)
    for text in (turn.entity("product"), turn.text, turn.slot("product")):
        found = find_product(text, products)
        if found:
            return found
    examples = join([p.name(turn.lang) for p in products[:4]], turn.lang)
    turn.say("utter_ask_product", examples=examples)
    return None


def _closest(chart: Chart, dim: str, value: float) -> Tuple[str, bool]:
    """The size whose range for dim is nearest to value, and whether value is inside it."""
    best, best_dist = None, None
    for size, ranges in chart.items():
        lo, hi = ranges[dim]
        dist = 0 if lo <= value <= hi else min(abs(value - lo), abs(value - hi))
        mid = abs(value - (lo + hi) / 2)
        key = (dist, mid)
        if best_dist is None or key < best_dist:
            best, best_dist = size, key
    return best, best_dist[0] == 0


def recommend_size(chart: Chart, height: Optional[float], weight: Optional[float]) -> Tuple[str, Optional[str], bool]:
    """(size, other size if height and weight disagree, whether the buyer fits the chart)."""
    picks = []
    for dim, value in (("height", height), ("weight", weight)):
        if value is not None:
            picks.append(_closest(chart, dim, value))
    order = list(chart)
    sizes = sorted({s for s, _ in picks}, key=order.index)
    inside = all(ok for _, ok in picks)
    if len(sizes) == 2:
        return sizes[1], sizes[0], inside
    return sizes[0], None, inside


def _chart_text(chart: Chart, lang: str) -> str:
    parts = []
    for size, r in chart.items():
        if "foot_cm" in r:
            parts.append(f"{size}: {r['foot_cm'][0]:g}-{r['foot_cm'][1]:g}cm")
        else:
            parts.append(f"{size}: {r['height'][0]:g}-{r['height'][1]:g}cm / {r['weight'][0]:g}-{r['weight'][1]:g}kg")
    return join(parts, lang)


class ActionSizeAdvice(Action):
    def name(self) -> Text:
        return "action_size_advice"

    @shop_may_be_down
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        turn = Turn(dispatcher, tracker)
        product = await _product(turn)
        if product is None:
            return []
        lang, chart = turn.lang, product.size_chart
        name = product.name(lang)
        events: Events = [SlotSet("product", product.name_en)]
        if not any(chart.values()):
            turn.say("utter_size_one_size", product=name)
            return events
        if "foot_cm" in next(iter(chart.values())):
            turn.say("utter_size_shoes", product=name, chart=_chart_text(chart, lang))
            return events
        height = parse_height_cm(turn.text) or parse_height_cm(turn.slot("height") or "")
        weight = parse_weight_kg(turn.text) or parse_weight_kg(turn.slot("weight") or "")
        if height is None and weight is None:
            turn.say("utter_ask_height_weight", product=name)
            return events
        measured = [f"{height:g}cm" if height else "", f"{weight:g}kg" if weight else ""]
        measurements = (" " if lang == "en" else "、").join(m for m in measured if m)
        measurements = f"{'身高体重 ' if lang == 'zh' else 'measurements of '}{measurements}"
        size, other, inside = recommend_size(chart, height, weight)
        if not inside:
            turn.say(
                "utter_size_outside", product=name, measurements=measurements, size=size, chart=_chart_text(chart, lang)
            )
        elif other:
            by_height = _closest(chart, "height", height)[0]
            by_weight = _closest(chart, "weight", weight)[0]
            turn.say(
                "utter_size_between", product=name, size_a=by_height, size_b=by_weight, size_big=size, size_small=other
            )
        else:
            r = chart[size]
            turn.say(
                "utter_size_recommend",
                product=name,
                measurements=measurements,
                size=size,
                height_range=f"{r['height'][0]:g}-{r['height'][1]:g}",
                weight_range=f"{r['weight'][0]:g}-{r['weight'][1]:g}",
                window_days=turn.cfg.returns.window_days,
            )
        return events


def _colour(turn: Turn) -> Optional[str]:
    for text in (turn.entity("colour"), turn.text):
        if not text:
            continue
        t = text.lower()
        words = turn.cfg.colour_words()
        for word in sorted(words, key=len, reverse=True):
            if word in t:
                return words[word]
    return None


def _size(turn: Turn, product: ProductView) -> Optional[str]:
    """The catalog's size the buyer named ("m" is "M", "250G" is "250g"), if the product has it."""
    value = (turn.entity("size") or "").strip().lower()
    return next((size for size in product.size_chart if size.lower() == value), None)


class ActionProductInfo(Action):
    """Material, colours and stock of one product."""

    def name(self) -> Text:
        return "action_product_info"

    @shop_may_be_down
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        turn = Turn(dispatcher, tracker)
        product = await _product(turn)
        if product is None:
            return []
        lang, name = turn.lang, product.name(turn.lang)
        colours = join([turn.colour(c) for c in product.colours], lang)
        if turn.intent == "product_material":
            turn.say(
                "utter_product_material",
                product=name,
                material=product.material_zh if lang == "zh" else product.material_en,
            )
        elif turn.intent == "product_colour":
            wanted = _colour(turn)
            if wanted and wanted not in product.colours:
                turn.say("utter_product_colour_missing", product=name, colour=turn.colour(wanted), colours=colours)
            else:
                turn.say("utter_product_colours", product=name, colours=colours)
        else:
            self._stock(turn, product, name)
        return [SlotSet("product", product.name_en)]

    @staticmethod
    def _stock(turn: Turn, product: ProductView, name: str) -> None:
        lang = turn.lang
        colour, size = _colour(turn), _size(turn, product)
        if colour and colour not in product.colours:
            turn.say(
                "utter_product_colour_missing",
                product=name,
                colour=turn.colour(colour),
                colours=join([turn.colour(c) for c in product.colours], lang),
            )
            return
        if size and not colour and list(product.stock) == [NO_COLOUR]:
            colour = NO_COLOUR  # a product without colours: the size alone names the variant
        in_stock = {c: [s for s, n in sizes.items() if n > 0] for c, sizes in product.stock.items()}
        if colour and size:
            units = product.stock.get(colour, {}).get(size, 0)
            variant = _variant(turn, colour, size)
            if units > 0:
                turn.say("utter_stock_available", product=name, variant=variant, units=units)
            else:
                others = [_variant(turn, c, s) for c, ss in in_stock.items() for s in ss if c == colour or s == size]
                turn.say("utter_stock_out", product=name, variant=variant, alternatives=join(others[:6], lang) or "-")
            return
        rows = [
            # a product without colours is listed by size alone
            join([_size_label(s, lang) for s in ss], lang)
            if c == NO_COLOUR
            else f"{turn.colour(c)} ({join([_size_label(s, lang) for s in ss], lang)})"
            for c, ss in in_stock.items()
            if ss and (colour is None or c == colour) and (size is None or size in ss)
        ]
        if rows:
            turn.say("utter_stock_summary", product=name, summary=join(rows, lang))
        else:
            turn.say("utter_stock_none", product=name)


# sizes a Chinese buyer says with 码 (M码, 38码), unlike 250g or 220ml
CLOTHING_SIZE = re.compile(r"X{0,3}[SML]|\d{2}", re.IGNORECASE)


def _size_label(size: str, lang: str) -> str:
    return f"{size}码" if lang == "zh" and CLOTHING_SIZE.fullmatch(size) else size


def _variant(turn: Turn, colour: str, size: str) -> str:
    """ "黑色 M码" / "black, M"; a product's missing colour or one size is left out."""
    words = [
        turn.colour(colour) if colour != NO_COLOUR else "",
        _size_label(size, turn.lang) if size != ONE_SIZE else "",
    ]
    return (" " if turn.lang == "zh" else ", ").join(w for w in words if w)
