"""The quality check of agent replies (helpdesk/quality.py): every rule in English and Chinese with the action
shop.yml gives it, against the seeded demo shop's coupons and orders; then the reply route of a served helpdesk
(a blocked reply never reaches the transcript, a warned one does, both are recorded) and GET /reports/quality.

Rasa is replaced by a real local HTTP server that keeps the tracker events the helpdesk posts (RasaStandIn)."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple, get_args
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from helpdesk.quality import MAX_CODES, MAX_EXCERPT, RULES, ReplyContext, blocked, check
from helpdesk.record.models import QaFinding
from helpdesk.record.recorder import copy_events
from helpdesk.reports.period import parse_period
from helpdesk.reports.quality import quality_report
from helpdesk.web import response_models as say
from helpdesk.web.console import fill
from helpdesk.web.quality_api import record_findings
from shop.config import QualityRules, ShopConfig, load_shop_config
from shop.repository import ShopRepository
from shop.settings import ROOT
from tests.helpdesk.conftest import agent_profile, handoff, helpdesk_env
from tests.helpdesk.served import ServedApp
from tests.helpdesk.test_console_api import Console
from tests.shop_files import write_shop

SHOPS = {"lily": ROOT / "shop.yml", "teahouse": ROOT / "demo_shops" / "teahouse" / "shop.yml"}
ORDER = "A10001"  # a seeded order of the demo shop


@pytest.fixture(scope="module")
def cfg() -> ShopConfig:
    return load_shop_config(ROOT / "shop.yml")


@pytest.fixture(scope="module")
def shop(sqlite_shop) -> Iterator[ShopRepository]:
    repo = ShopRepository.connect(sqlite_shop)
    yield repo
    repo.close()


def found(text: str, cfg: ShopConfig, channel: str = "marketplace", store=None, order: Optional[str] = None):
    context = ReplyContext(cfg, channel=channel, store=store, order_number=order, now=time.time())
    return {(f.rule, f.action) for f in check(text, context)}


# -- the rules, each in English and Chinese, with shop.yml's actions ---------------------------------------------
BREACHES = [
    # banned words (block): whole Latin words in any case, Chinese anywhere
    ("Don't be STUPID, the size chart is right there.", "banned_words"),
    ("你是不是傻，看不懂尺码表吗", "banned_words"),
    # a longer return window (warn): digits, words, Chinese numerals, weeks, months, no limit at all
    ("You can return it within 30 days.", "return_window"),
    ("Within thirty days of delivery, you can send it back and return it.", "return_window"),
    ("You have a 14-day return window.", "return_window"),
    ("Exchanges are fine within two weeks.", "return_window"),
    ("We offer lifetime returns!", "return_window"),
    ("您可以30天内退货", "return_window"),
    ("三十天无理由退货", "return_window"),
    ("可以一个月内退换", "return_window"),
    ("随时可以退货哦", "return_window"),
    # a faster refund (warn): business days as business days, calendar time against their longest span, at once
    ("We will refund you in 2 days.", "refund_days"),
    ("You'll get your refund within 48 hours.", "refund_days"),
    ("Your refund arrives in 2 days.", "refund_days"),  # the refund arrives: not a delivery
    ("We refund you right away.", "refund_days"),
    ("2个工作日内退款", "refund_days"),
    ("马上退款给您", "refund_days"),
    ("7天无理由退货，退款3天到账", "refund_days"),
    # free return shipping where the buyer pays it (warn)
    ("Return shipping is free for you.", "return_shipping"),
    ("We'll cover the return shipping.", "return_shipping"),
    ("退货运费我们出", "return_shipping"),
    ("亲，支持包邮退货", "return_shipping"),
    # contact details on the marketplace (block)
    ("Add me on WeChat and I'll sort it out.", "off_platform"),
    ("Email me at ben.carter@gmail.com", "off_platform"),
    ("Call me on 415-555-0132.", "off_platform"),
    ("It is cheaper on www.other-shop.com", "off_platform"),
    ("加我微信聊", "off_platform"),
    ("有问题打我电话 13812345678", "off_platform"),
]


@pytest.mark.parametrize("text, rule", BREACHES)
def test_each_rule_finds_its_breach_with_the_action_shop_yml_gives_it(cfg, text, rule):
    action = getattr(cfg.quality.rules, rule)
    assert found(text, cfg) == {(rule, action)}


CLEAN = [
    "Hi Lily, this is Ben. I'm checking your order now.",
    "您好，我是客服小陈，正在为您查询订单。",
    "You can return it within 7 days of delivery; we refund within 5 business days of receiving it.",
    "Return it within 7 days of delivery and the money is back on your card within a week.",
    "It arrives in 10 days, and you can return it within 7 days.",
    "Refunds take 10 business days after we receive your return.",
    "您可以7天内退货，退款5个工作日内原路退回。",
    "我马上为您申请退款。",  # applying now is not a refund now
    "You bought it 30 days ago, so the return window has passed.",
    "Return shipping is paid by the buyer unless the item is faulty.",
    "退货运费由买家承担，质量问题除外。",
    "This dumbbell-shaped bag is a best seller.",  # dumb, but not the word
    "这款连衣裙有滚边设计。",  # 滚边 (piping) is not 滚
    "Write to help@lilyscloset.example and track it at https://track.example/SP000000001",
    "",
    "   ",
]


def test_a_number_belongs_to_its_own_clause(cfg):
    """ "pay" is nearer to the 30 days than "return", but in the next clause: both promises are found."""
    text = "No problem, you can return it within 30 days and we pay the return shipping."
    assert found(text, cfg) == {("return_window", "warn"), ("return_shipping", "warn")}


@pytest.mark.parametrize("text", CLEAN)
def test_a_clean_reply_breaks_nothing(cfg, text):
    assert found(text, cfg) == set()


def test_contact_details_are_checked_only_on_the_channels_shop_yml_names(cfg, tmp_path):
    text = "add me on WeChat: ben_88, or ben@gmail.com"
    assert found(text, cfg, channel="marketplace") == {("off_platform", "block")}
    assert found(text, cfg, channel="webchat") == set()  # off_platform_channels: [marketplace]
    everywhere = _shop(tmp_path, lambda raw: raw["quality"].update(off_platform_channels=[]))
    assert found(text, everywhere, channel="webchat") == {("off_platform", "block")}


def test_coupons_are_looked_up_in_the_shop(cfg, shop):
    def coupon(text: str) -> List[str]:
        context = ReplyContext(cfg, "webchat", shop, ORDER, time.time())
        return [f.message for f in check(text, context) if f.rule == "coupon"]

    assert coupon("Use coupon SAVE50 at checkout.") == ["Coupon SAVE50 does not exist."]
    assert coupon("优惠码SUMMER20可以用")[0].startswith("Coupon SUMMER20 expired on ")  # seeded as expired
    assert coupon("The code NEWYEAR30 gives $30 off.")[0].startswith("Coupon NEWYEAR30 is not valid before ")
    assert coupon("use promo code FREESHIP") == ["Coupon FREESHIP does not exist."]  # letters only, right after
    assert coupon("Use code SAVE10 at checkout, or 优惠券 WELCOME15.") == []  # valid now
    assert coupon("The VIP coupon is the best; it ends on the 10th.") == []  # no code there
    assert coupon("Your tracking code is SP000000001 and the order A10001.") == []  # the order's own numbers
    assert coupon("SAVE50 is a great deal") == []  # no coupon word near it: not a promise of a coupon


def test_amounts_are_compared_with_the_handoffs_order_total(cfg, shop):
    total = shop.find_order(ORDER).total
    over, under = f"{total + 21:.0f}", f"{total - 1:.2f}"

    def amount(text: str, order: Optional[str] = ORDER) -> set:
        return {r for r in found(text, cfg, "webchat", shop, order) if r[0] == "amount_over_total"}

    breach = {("amount_over_total", "block")}
    assert amount(f"We will refund ${over} to you.") == breach
    assert amount(f"refund {over} dollars") == breach
    assert amount(f"退款¥{over}") == breach
    assert amount("给您退款一千元") == breach
    assert amount(f"The price you paid was ${over}.") == breach
    assert amount(f"We will refund ${under}.") == set()
    assert amount(f"退款{under}元") == set()
    assert amount(f"Orders over ${over} ship free.") == set()  # not a refund or a price of this order
    assert amount(f"We will refund ${over} to you.", order=None) == set()  # no order: nothing to compare with
    assert amount(f"We will refund ${over} to you.", order="A99999") == set()  # an order the shop lacks
    [message] = [f.message for f in check(f"refund ${over}", ReplyContext(cfg, "webchat", shop, ORDER, time.time()))]
    assert message == f"Order {ORDER} totals {total:.2f} {cfg.shop.currency}; the reply offers ${over}."


def test_the_shops_data_down_skips_the_checks_that_need_it(cfg, tmp_path):
    down = ShopRepository.connect(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables: every query fails
    try:
        assert found("Use coupon SAVE50, and we refund $5000", cfg, "webchat", down, ORDER) == set()
        assert found("Use coupon SAVE50 and add me on WeChat", cfg, "marketplace", down, ORDER) == {
            ("off_platform", "block")
        }
    finally:
        down.close()


# -- the policy comes from shop.yml -------------------------------------------------------------------------------
def _shop(tmp_path: Path, mutate) -> ShopConfig:
    return load_shop_config(write_shop(tmp_path, mutate, name=f"shop-{len(list(tmp_path.iterdir()))}.yml"))


def test_the_limits_and_actions_are_shop_ymls(cfg, tmp_path):
    def generous(raw: dict) -> None:
        raw["returns"].update(window_days=30, refund_days=1, return_shipping_paid_by={"quality_issue": "shop",
                                                                                      "other": "shop"})  # fmt: skip

    loose = _shop(tmp_path, generous)
    for text in ("You can return it within 30 days.", "三十天无理由退货", "2个工作日内退款", "退货运费我们出"):
        assert found(text, cfg) != set() and found(text, loose) == set(), text
    assert found("You can return it within 31 days.", loose) == {("return_window", "warn")}
    message = check("三十一天无理由退货", ReplyContext(loose))[0].message
    assert message == "Our return window is 30 days; the reply promises 31 days."

    strict = _shop(tmp_path, lambda raw: raw["quality"]["rules"].update(return_window="block", banned_words="off"))
    assert found("You can return it within 30 days, idiot.", strict) == {("return_window", "block")}
    assert found("你是不是傻", strict) == set()
    words = _shop(tmp_path, lambda raw: raw["quality"].update(banned_words=["cheap", "便宜货"]))
    assert found("It is CHEAP, 便宜货", words) == {("banned_words", "block")}
    assert found("you idiot", words) == set()


def test_a_shop_file_without_a_quality_section_only_warns(tmp_path):
    bare = _shop(tmp_path, lambda raw: raw.pop("quality"))
    assert found("You can return it within 30 days, add me on WeChat: ben@gmail.com", bare) == {
        ("return_window", "warn"), ("off_platform", "warn")
    }  # fmt: skip
    assert set(QualityRules.__fields__) == set(RULES) == set(get_args(say.QaRule))


def test_every_shop_quick_reply_passes_the_check_as_shipped():
    values = {"name": "Lily Chen", "agent": "Ben Carter", "tracking_no": "SP000000002"}
    for shop_name, path in SHOPS.items():
        shop_cfg = load_shop_config(path)
        filled = {**values, "order_no": shop_cfg.formats.order_example}
        for reply in shop_cfg.quick_replies:
            for lang in ("en", "zh"):
                text = fill(getattr(reply, lang), filled)
                assert found(text, shop_cfg, "marketplace") == set(), (shop_name, reply.shortcut, lang, text)
                assert found(text, shop_cfg, "") == set()  # [] channels or another one: the same


# -- hostile replies ----------------------------------------------------------------------------------------------
def test_markup_is_just_text_and_excerpts_stay_short(cfg):
    [finding] = check("<script>alert('idiot')</script>" * 300, ReplyContext(cfg))
    assert (finding.rule, finding.excerpt) == ("banned_words", "idiot")
    flood = " ".join(f"wechat{i}@mail{i}.com" for i in range(2000))
    [finding] = check(flood, ReplyContext(cfg, "marketplace"))
    assert finding.rule == "off_platform" and len(finding.excerpt) == MAX_EXCERPT and finding.excerpt.endswith("…")


def test_huge_and_odd_replies_are_read_in_one_pass(cfg, shop):
    """Each of these would take minutes if a pattern went back over the text from every position."""
    context = ReplyContext(cfg, "marketplace", shop, ORDER, time.time())
    n = 100_000
    for text in ("a" * n, "1" * n, "." * n, "退" * n, "三十" * (n // 2) + "天", "$" + "9" * n, "www." + "a." * (n // 2),
                 "a@" * (n // 2), " " * n + "days", "-" * n + "1", "\u0000\ufeff" * (n // 2)):  # fmt: skip
        assert len(check(text, context)) <= 1
    mixed = "You can return it within 30 days. We refund you today, $8000 back. Coupon SAVE50, 加微信 138 1234 5678. "
    findings = {f.rule: f for f in check(mixed * 1000, context)}
    assert set(findings) == set(RULES) - {"banned_words", "return_shipping"}
    codes = check(" ".join(f"coupon CODE{i}," for i in range(5000)), context)[0].excerpt.split(", ")
    assert len(codes) == MAX_CODES  # ten lookups, not five thousand


def test_full_width_text_is_read_as_ascii(cfg):
    assert found("可以３０天内退货，加ＷＥＣＨＡＴ", cfg) == {("return_window", "warn"), ("off_platform", "block")}


# -- the reply route ----------------------------------------------------------------------------------------------
class RasaStandIn:
    """A local HTTP server in Rasa's place for the two calls the helpdesk makes of a conversation: post an event
    into its tracker, and read the tracker."""

    def __init__(self) -> None:
        self.events: Dict[str, List[dict]] = defaultdict(list)
        events = self.events

        class Handler(BaseHTTPRequestHandler):
            def _cid(self) -> Tuple[str, str]:
                parts = urlsplit(self.path).path.split("/")  # /conversations/<cid>/tracker[/events]
                return unquote(parts[2]), "/".join(parts[3:])

            def _answer(self, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                cid, rest = self._cid()
                assert rest == "tracker/events"
                events[cid].append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self._answer({"sender_id": cid, "events": events[cid]})

            def do_GET(self) -> None:  # noqa: N802
                cid, _ = self._cid()
                self._answer({"sender_id": cid, "events": events[cid], "paused": True})

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def said(self, cid: str) -> List[str]:
        return [e["text"] for e in self.events[cid] if e.get("event") == "bot"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rasa() -> Iterator[RasaStandIn]:
    standin = RasaStandIn()
    yield standin
    standin.close()


@pytest.fixture
def desk(tmp_path, sqlite_shop, start_redis_server, rasa) -> Iterator[ServedApp]:
    """A served helpdesk (its own redis-server and SQLite record, the demo shop) whose Rasa is the stand-in."""
    env = helpdesk_env(tmp_path, start_redis_server(tmp_path), sqlite_shop)
    app = ServedApp({**env, "RASA_URL": rasa.url})
    yield app
    app.close()


def _chat(hd: ServedApp, cid: str, channel: str, language: str = "en") -> None:
    r = hd.post("/handoffs", {"conversation_id": cid, "channel": channel, "language": language, "order_number": ORDER})
    assert r.status_code == 201 and r.json["agent"] == "ben", r.text


def _reply(hd: ServedApp, cid: str, text: str):
    return hd.post(f"/conversations/{cid}/reply", {"agent": "ben", "text": text})


def test_a_blocked_reply_is_not_sent_a_warned_one_is_and_both_are_recorded(desk, rasa):
    desk.post("/agents/ben/status", {"status": "online"})
    _chat(desk, "marketplace:c-1", "marketplace")
    _chat(desk, "web-1", "webchat", "zh")
    demo = "you can return it within 30 days, add me on WeChat"

    r = _reply(desk, "marketplace:c-1", demo)  # the README's demo sentence: blocked on the marketplace
    assert r.status_code == 422 and r.json["error"] == "qa_blocked", r.text
    say.Error.parse_obj(r.json)
    assert {(f["rule"], f["action"]) for f in r.json["findings"]} == {("return_window", "warn"),
                                                                       ("off_platform", "block")}  # fmt: skip
    assert "buyers must stay on the platform" in r.json["reason"]
    assert rasa.said("marketplace:c-1") == []  # nothing went out ...
    assert not desk.get("/conversations/marketplace:c-1").json["live"].get("first_reply_at")  # ... nor counts

    r = _reply(desk, "marketplace:c-1", "您可以30天内退货")  # only a warning: sent
    assert r.status_code == 200 and r.json["delivered_to_transcript"] is True, r.text
    say.Replied.parse_obj(r.json)
    assert [(f["rule"], f["action"], f["excerpt"]) for f in r.json["qa"]] == [("return_window", "warn", "30天内退货")]
    assert r.json["qa"][0]["message"] == "Our return window is 7 days; the reply promises 30 days."
    assert rasa.said("marketplace:c-1") == ["您可以30天内退货"]
    assert desk.get("/conversations/marketplace:c-1").json["live"]["first_reply_at"]

    r = _reply(desk, "marketplace:c-1", "Refund today: $5000 back to you.")  # over the total: blocked
    assert r.status_code == 422 and {f["rule"] for f in r.json["findings"]} == {"amount_over_total", "refund_days"}
    warned = {"rule": "return_window", "action": "warn", "excerpt": "return it within 30 days",
              "message": "Our return window is 7 days; the reply promises 30 days."}  # fmt: skip
    assert _reply(desk, "web-1", demo).json["qa"] == [warned]  # WeChat is no breach on the shop's own chat
    assert _reply(desk, "web-1", "好的，我这就为您查询。").json["qa"] == []
    assert rasa.said("web-1") == [demo, "好的，我这就为您查询。"]

    with desk.app.ctx.hd.record() as session:
        rows = session.scalars(select(QaFinding).order_by(QaFinding.id)).all()
        recorded = [(q.conversation_id, q.rule, q.action, q.agent) for q in rows]
    assert sorted(recorded) == sorted([
        ("marketplace:c-1", "return_window", "warn", "ben"), ("marketplace:c-1", "off_platform", "block", "ben"),
        ("marketplace:c-1", "return_window", "warn", "ben"),
        ("marketplace:c-1", "amount_over_total", "block", "ben"), ("marketplace:c-1", "refund_days", "warn", "ben"),
        ("web-1", "return_window", "warn", "ben"),
    ])  # fmt: skip

    # the QA report: 3 sent messages, 2 replies blocked, 2 sent with warnings
    desk.sweep()  # copies the message events into the record
    report = desk.get("/reports/quality").json
    say.QualityReport.parse_obj(report)
    ben = next(a for a in report["by_agent"] if a["agent"] == "ben")
    assert ben == {
        "agent": "ben",
        "name": "Ben Carter",
        "replies": 3,
        "blocked": 2,
        "warned": 2,
        "by_rule": {"return_window": 3, "off_platform": 1, "amount_over_total": 1, "refund_days": 1},
    }
    assert report["by_agent"][0]["agent"] == "ben"  # the most findings first
    assert {a["agent"]: a["replies"] for a in report["by_agent"]} == {"amy": 0, "ben": 3, "chen": 0}
    counts = {r["rule"]: (r["action"], r["count"]) for r in report["by_rule"]}
    assert counts == {"banned_words": ("block", 0), "return_window": ("warn", 3), "refund_days": ("warn", 1),
                      "return_shipping": ("warn", 0), "coupon": ("warn", 0), "amount_over_total": ("block", 1),
                      "off_platform": ("block", 1)}  # fmt: skip
    assert [r["label"] for r in report["by_rule"]] == list(RULES.values())
    recent = report["recent"]
    assert len(recent) == 6 and recent[0]["conversation_id"] == "web-1" and recent[0]["excerpt"] == warned["excerpt"]
    assert [r["at"] for r in recent] == sorted((r["at"] for r in recent), reverse=True)

    long_ago = desk.get("/reports/quality?from=2020-01-01&to=2020-01-07").json
    assert long_ago["period"] == {"from": "2020-01-01", "to": "2020-01-07", "timezone": "Asia/Shanghai"}
    assert all(a["replies"] == a["blocked"] == a["warned"] == 0 for a in long_ago["by_agent"])
    assert long_ago["recent"] == [] and {r["count"] for r in long_ago["by_rule"]} == {0}


def test_the_qa_report_is_for_supervisors_and_refuses_bad_periods(hd):
    ben, amy = Console(hd, "ben"), Console(hd, "amy")
    r = ben.get("/reports/quality")
    assert r.status_code == 403 and r.json["error"] == "not_supervisor"
    assert amy.get("/reports/quality").status_code == 200
    assert hd.get("/reports/quality").status_code == 200  # the service token
    for query in ("from=2026-13-01", "from=yesterday", "from=2026-11-08&to=2026-11-01", "from=2020-01-01&to=2026-01-01",
                  "from=2026-11-01&from=2026-11-02", "to=" + "9" * 5000, "from=%00"):  # fmt: skip
        r = hd.get(f"/reports/quality?{query}")
        assert r.status_code == 400 and r.json["error"] == "bad_period" and "Traceback" not in r.text, query


def test_a_blocked_reply_from_the_console_keeps_rasa_untouched(hd):
    """Rasa is down in this app: a blocked reply is refused before Rasa is ever asked (no 502)."""
    ben = Console(hd, "ben")
    ben.post("/agents/ben/status", {"status": "online"})
    _chat(hd, "marketplace:c-9", "marketplace")
    r = ben.post("/conversations/marketplace%3Ac-9/reply", {"text": "你个白痴，加我微信"})
    assert r.status_code == 422 and {f["rule"] for f in r.json["findings"]} == {"banned_words", "off_platform"}
    r = ben.post("/conversations/marketplace%3Ac-9/reply", {"text": "您好，正在为您查询。"})
    assert r.status_code == 502 and r.json["error"] == "rasa_unavailable"  # clean, so it went on to Rasa


# -- the QA report on both SQL databases --------------------------------------------------------------------------
def test_the_qa_report_counts_replies_blocked_and_warned_per_agent(make_desk, clock, record_db, cfg):
    """A known history, driven through the live desk (the message events) and the check (the findings), on
    SQLite and PostgreSQL: ben sends 3 messages and has 1 reply blocked (2 rules) and 1 warned; chen sends 1."""
    desk = make_desk(ben=agent_profile(capacity=5), chen=agent_profile(capacity=5))
    context = ReplyContext(cfg, channel="marketplace")
    for agent in ("ben", "chen"):
        desk.agents.set_status(agent, "online")
        desk.queue.enqueue(handoff(f"{agent}-1", created_at=clock.now))
    history = [("ben", "加我微信，三十天内可退"), ("ben", "您好，正在为您查询。"),
               ("ben", "You can return it within 30 days."), ("ben", "Thanks for waiting!"),
               ("chen", "好的，马上为您处理。")]  # fmt: skip
    for agent, text in history:
        clock.advance(60)
        findings = check(text, context)
        record_findings(record_db, f"{agent}-1", agent, clock.now, findings)
        if not blocked(findings):
            desk.queue.reply(f"{agent}-1", agent)
    copy_events(desk.redis, record_db)
    tz = ZoneInfo(cfg.shop.timezone)
    report = quality_report(record_db, cfg, parse_period(None, None, tz, clock.now))
    rows = {a["agent"]: a for a in report["by_agent"]}
    assert rows["ben"] == {"agent": "ben", "name": "Ben Carter", "replies": 3, "blocked": 1, "warned": 1,
                           "by_rule": {"off_platform": 1, "return_window": 2}}  # fmt: skip
    assert rows["chen"] == {"agent": "chen", "name": "陈静", "replies": 1, "blocked": 0, "warned": 0, "by_rule": {}}
    assert rows["amy"]["replies"] == 0 and [a["agent"] for a in report["by_agent"]][0] == "ben"
    assert {r["rule"]: r["count"] for r in report["by_rule"] if r["count"]} == {"off_platform": 1, "return_window": 2}
    assert [(r["agent"], r["rule"], r["action"]) for r in report["recent"]][0] == ("ben", "return_window", "warn")
    assert len(report["recent"]) == 3
    tomorrow = datetime.fromtimestamp(clock.now, tz).date() + timedelta(days=1)
    later = quality_report(record_db, cfg, parse_period(tomorrow.isoformat(), None, tz, clock.now + 86400))
    assert later["recent"] == [] and all(a["replies"] == 0 for a in later["by_agent"])
