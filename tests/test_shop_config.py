import pytest

from shop.config import ShopConfigError, load_shop_config
from shop.settings import ROOT
from tests.shop_files import write_shop as write


def test_the_shipped_file_is_valid():
    cfg = load_shop_config(ROOT / "shop.yml")
    assert cfg.returns.window_days == 7 and cfg.shipping.dispatch_hours == 48
    assert cfg.returns.condition("zh") == "未穿着、吊牌完整"


@pytest.mark.parametrize(
    "mutate,key",
    [
        (lambda r: r["returns"].update(window_days="seven"), "returns.window_days"),
        (lambda r: r["returns"].pop("refund_days"), "returns.refund_days"),
        (lambda r: r["business_hours"].update(open="9am"), "business_hours.open"),
        (lambda r: r["business_hours"]["days"].append("funday"), "business_hours.days"),
        (lambda r: r["shipping"]["regions"]["domestic"].update(max_days=1), "shipping.regions.domestic.max_days"),
        (lambda r: r["tracking"].update(timeout_s=10), "tracking.timeout_s"),
        (lambda r: r["shop"].update(nmae="typo"), "shop.nmae"),
        (lambda r: r["payment"]["methods"][0].pop("zh"), "payment.methods.0.zh"),
        (lambda r: r["business_hours"].update(close="08:00"), "business_hours.close"),
        (lambda r: r["shop"].update(timezone="Mars/Olympus"), "shop.timezone"),
        (lambda r: r["helpdesk"].update(assignment="lottery"), "helpdesk.assignment"),
        (lambda r: r["helpdesk"]["agents"].append(dict(r["helpdesk"]["agents"][0])), "helpdesk.agents"),
        (lambda r: r["helpdesk"]["agents"][1].update(languages=["fr"]), "helpdesk.agents.1.languages"),
        (lambda r: r["helpdesk"]["agents"][1].update(id="Ben Carter"), "helpdesk.agents.1.id"),
        (lambda r: r["helpdesk"]["agents"][1].update(capacity=-1), "helpdesk.agents.1.capacity"),
        (lambda r: r["timers"].pop("default_handle_s"), "timers.default_handle_s"),
    ],
)
def test_a_bad_key_is_named(tmp_path, mutate, key):
    with pytest.raises(ShopConfigError) as err:
        load_shop_config(write(tmp_path, mutate))
    assert key in str(err.value)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ShopConfigError, match="not found"):
        load_shop_config(tmp_path / "nope.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("returns: [unclosed")
    with pytest.raises(ShopConfigError, match="not valid YAML"):
        load_shop_config(bad)
