import pytest

from actions.buyer_text import coupon_codes, parse_height_cm, parse_rating, parse_weight_kg
from shop.parsing import Identifiers


@pytest.mark.parametrize(
    "text,cm",
    [
        ("I'm 170cm", 170),
        ("1.65m tall", 165),
        ("我1米7", 170),
        ("身高1米65", 165),
        ("一米七", 170),
        ("一米六五 50kg", 165),
        ("5'7", 170),
        ("5 ft 2", 157),
        ("165 and 55kg", 165),
        ("60kg", None),
        ("hello", None),
    ],
)
def test_height(text, cm):
    assert parse_height_cm(text) == cm


@pytest.mark.parametrize(
    "text,kg",
    [
        ("60kg", 60),
        ("55 公斤", 55),
        ("120斤", 60),
        ("130lbs", 59.0),
        ("170cm", None),
    ],
)
def test_weight(text, kg):
    assert parse_weight_kg(text) == kg


@pytest.mark.parametrize(
    "text,rating",
    [
        ("5", 5),
        ("4/5", 4),
        ("⭐⭐⭐", 3),
        ("five stars", 5),
        ("五星", 5),
        ("给3分", 3),
        ("great", None),
        ("10", None),
    ],
)
def test_rating(text, rating):
    assert parse_rating(text) == rating


def test_coupon_codes_skip_order_numbers():
    assert coupon_codes("SAVE10 on order A10001 and welcome15", Identifiers(["A99999"], [])) == ["SAVE10", "WELCOME15"]
