"""Product and payment answers from the catalog, coupons and shop config."""

from __future__ import annotations

from actions.payments import ActionCoupons, ActionPaymentMethods
from actions.products import ActionProductInfo, ActionSizeAdvice, recommend_size
from scripts.seed_shop import CLOTHES_CHART
from tests.actions.trackers import ent, responses, run, tracker


def test_recommend_size_from_the_chart():
    assert recommend_size(CLOTHES_CHART, 165, 54) == ("M", None, True)
    assert recommend_size(CLOTHES_CHART, 176, None) == ("XL", None, True)
    size, other, inside = recommend_size(CLOTHES_CHART, 158, 62)  # short and heavier: between sizes
    assert (size, other, inside) == ("L", "S", True)
    assert recommend_size(CLOTHES_CHART, 200, 120)[2] is False


async def test_size_advice_mixed_language(action_env):
    t = tracker(
        "这件碎花连衣裙M码合适吗 I'm 170cm 60kg", "size_advice", [ent("product", "碎花连衣裙")], {"language": "zh"}
    )
    msgs, events = await run(ActionSizeAdvice(), t)
    assert responses(msgs) == ["utter_size_recommend"] and msgs[0]["size"] == "L"  # 170 cm and 60 kg agree on L
    assert msgs[0]["product"] == "碎花连衣裙"
    assert {"event": "slot", "name": "product", "value": "Floral Midi Dress", "timestamp": None} in events


async def test_size_advice_asks_measurements_then_answers(action_env):
    msgs, _ = await run(ActionSizeAdvice(), tracker("what size hoodie should i get", "size_advice"))
    assert responses(msgs) == ["utter_ask_height_weight"]
    t = tracker("5'5 and 120 lbs", "size_advice", slots={"product": "Fleece Hoodie"})
    msgs, _ = await run(ActionSizeAdvice(), t)
    assert responses(msgs) == ["utter_size_recommend"] and msgs[0]["size"] == "M"


async def test_size_advice_without_product_asks_which(action_env):
    msgs, _ = await run(ActionSizeAdvice(), tracker("what size am i 165cm", "size_advice"))
    assert responses(msgs) == ["utter_ask_product"]


async def test_material_and_colours(action_env):
    msgs, _ = await run(ActionProductInfo(), tracker("what is the linen shirt made of", "product_material"))
    assert responses(msgs) == ["utter_product_material"] and "linen" in msgs[0]["material"]
    t = tracker("jeans in red?", "product_colour", [ent("colour", "red")])
    msgs, _ = await run(ActionProductInfo(), t)
    assert responses(msgs) == ["utter_product_colour_missing"] and msgs[0]["colours"] == "blue, black"


async def test_stock_from_inventory(action_env):
    from actions import services

    shirt = next(p for p in services.services().repository.products() if p.sku == "CT-03")
    colour, size = next((c, s) for c, sizes in shirt.stock.items() for s, n in sizes.items() if n > 0)
    t = tracker(f"t-shirt {colour} {size} in stock?", "product_stock", [ent("colour", colour), ent("size", size)])
    msgs, _ = await run(ActionProductInfo(), t)
    assert responses(msgs) == ["utter_stock_available"] and msgs[0]["units"] == shirt.stock[colour][size]
    assert msgs[0]["variant"] == f"{colour}, {size}"
    t = tracker(f"T恤 {colour} {size} 有货吗", "product_stock", [ent("colour", colour), ent("size", size)],
                slots={"language": "zh"})  # fmt: skip
    msgs, _ = await run(ActionProductInfo(), t)
    assert msgs[0]["variant"].endswith(f" {size}码") and "色" in msgs[0]["variant"]


async def test_coupons_valid_today_only(action_env):
    msgs, _ = await run(ActionCoupons(), tracker("any coupons", "coupon"))
    assert responses(msgs) == ["utter_coupons"]
    text = msgs[0]["coupons"]
    assert "SAVE10" in text and "$50.00" in text and "SUMMER20" not in text and "NEWYEAR30" not in text


async def test_coupon_code_checked(action_env):
    msgs, _ = await run(ActionCoupons(), tracker("summer20 doesn't work", "coupon"))
    assert responses(msgs) == ["utter_coupon_expired"]
    msgs, _ = await run(ActionCoupons(), tracker("SAVE25 不能用", "coupon", slots={"language": "zh"}))
    assert responses(msgs) == ["utter_coupon_valid"] and msgs[0]["terms"] == "满$100.00减$25.00"


async def test_payment_methods_from_config(action_env):
    msgs, _ = await run(ActionPaymentMethods(), tracker("如何付款", "payment_methods", slots={"language": "zh"}))
    assert "支付宝" in msgs[0]["methods"]
