"""The supervisors' Reports view of the console in a real browser (Debian's chromium driven by Playwright)
against the running stack, on a day of history with known answers played through the real desk (its Lua
scripts and event stream, on a Redis of the test's own) and copied into the stack's record by the recorder."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Dict, List
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from helpdesk.desk import Desk
from helpdesk.record.models import open_record
from helpdesk.record.recorder import copy_events
from helpdesk.redis_conn import embedded
from scripts.browser import open_console
from shop import db
from shop.config import load_shop_config
from shop.settings import Settings
from tests.helpdesk.conftest import Clock, handoff

DAY = "2025-06-03"  # a Tuesday long past: nothing else the stack's tests do lands in it


@pytest.fixture(scope="module")
def history(stack, tmp_path_factory) -> str:
    """Six buyer sessions on DAY, three handed off to ben, who answers after 20 s, 100 s and 400 s,
    resolves the first two and gets ratings 4 and 5. Returns the day."""
    cfg = load_shop_config(stack.shop_config)
    clock = Clock(datetime.fromisoformat(f"{DAY}T10:00").replace(tzinfo=ZoneInfo(cfg.shop.timezone)).timestamp())
    client = embedded(str(tmp_path_factory.mktemp("history") / "redis.db"), decode_responses=True)
    desk = Desk.open(client, cfg, clock)
    desk.agents.register_all(cfg.helpdesk.chat_agents)
    desk.agents.set_status("ben", "online")
    for n in range(1, 7):
        desk.queue.conversation_seen(f"rep-{n}", 3600, {"channel": "rest", "language": "en", "category": "order"})
        clock.advance(1)
    for cid, reason, frt in (("rep-1", "complaint", 20), ("rep-2", "requested", 100), ("rep-3", "requested", 400)):
        desk.queue.enqueue(handoff(cid, created_at=clock.now, reason=reason, category="order"))
        clock.advance(frt)
        desk.queue.reply(cid, "ben")
    for cid, rating in (("rep-1", 4), ("rep-2", 5)):
        clock.advance(60)
        desk.queue.resolve(cid, "ben", False)
        desk.queue.rate(cid, rating)
    record = open_record(Settings.from_env(stack.env()).helpdesk_database_url)
    assert copy_events(client, record) > 0
    db.close(record)
    client.shutdown()
    return DAY


def supervisor_page(browser, stack) -> tuple[Page, List[str]]:
    """Amy's console, and every console message that reports a Content-Security-Policy violation."""
    page = open_console(browser, stack, "amy")
    refused: List[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    return page, refused


def show_reports(page: Page, day: str, group_by: str = "day") -> None:
    page.fill("#rep-from", day)
    page.fill("#rep-to", day)
    page.select_option("#rep-group", group_by)
    page.click("#rep-form button[type=submit]")
    expect(page.locator("#rep-period")).to_contain_text(f"{day} – {day}")
    expect(page.locator("#reports")).to_have_attribute("aria-busy", "false")


def tile(page: Page, figure: str):
    return page.locator(f"#rep-tiles [data-figure='{figure}'] .rep-value")


def test_a_supervisor_sees_the_days_figures_charts_qa_and_the_staffing_heatmap(browser, stack, helpdesk, history):
    page, refused = supervisor_page(browser, stack)
    expect(page.locator("#reports-tab")).to_be_visible()
    page.click("#reports-tab")
    expect(page.locator("#chats")).to_be_hidden()
    expect(page.locator("#reports")).to_have_attribute("aria-busy", "false")
    today = datetime.now(ZoneInfo(load_shop_config(stack.shop_config).shop.timezone)).date()
    expect(page.locator("#rep-to")).to_have_value(today.isoformat())  # it opens on the last 7 days
    expect(page.locator("#rep-from")).to_have_value((today - timedelta(days=6)).isoformat())
    expect(page.locator("#rep-error")).to_have_text("")
    show_reports(page, history)
    expect(page.locator("#alerts")).to_have_count(1)  # the live alerts banner stays on the page, above the view

    known: Dict[str, str] = {  # the day's answers, as the tiles write them
        "conversations": "6",
        "containment": "50.0%",  # 3 of 6 sessions never reached a person
        "frt_p50_s": "100 s",  # first replies after 20, 100 and 400 s
        "reply_rate_30": "33.3%",
        "reply_rate_180": "66.7%",
        "resolution_rate": "66.7%",
        "csat_avg": "4.50 / 5",
        "csat_response_rate": "100.0%",
        "reassignments": "0",
        "reminders": "0",
    }
    for figure, text in known.items():
        expect(tile(page, figure)).to_have_text(text)
    expect(page.locator("#rep-tiles [data-figure='conversations'] .rep-sub")).to_contain_text("3 handed off")
    # every tile shows what the API answers (the rest of the figures included), a dash where it has no data
    totals = helpdesk.get(f"{stack.helpdesk_url}/reports", params={"from": history, "to": history}, timeout=10)
    totals = totals.json()["totals"]
    api = {**totals, "conversion_rate": totals["conversion"]["rate"],
           **{f"reply_rate_{s}": rate for s, rate in totals["reply_rates"].items()}}  # fmt: skip
    tiles = page.locator("#rep-tiles .rep-tile")
    assert tiles.count() == 14
    for n in range(tiles.count()):
        figure, shown = tiles.nth(n).get_attribute("data-figure"), tiles.nth(n).get_attribute("data-value")
        assert (float(shown) if shown else None) == api[figure], figure
        if api[figure] is None:
            expect(tiles.nth(n).locator(".rep-value")).to_have_text("—")

    drawn = page.evaluate("""() => {  // pixels on the canvas that are not transparent
        const c = document.getElementById('chart-volume');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < px.length; i += 4) if (px[i]) n++;
        return {chart: !!Chart.getChart(c), width: c.width, painted: n};
    }""")
    assert drawn["chart"] and drawn["width"] > 100 and drawn["painted"] > 1000, drawn
    labels = page.evaluate("Chart.getChart(document.getElementById('chart-reasons')).data.labels")
    assert sorted(labels) == ["complaint 16.7%", "requested 33.3%"]  # handoffs per reason over the 6 sessions

    qa = helpdesk.get(f"{stack.helpdesk_url}/reports/quality", params={"from": history, "to": history}, timeout=10)
    by_agent = qa.json()["by_agent"]
    expect(page.locator("#qa-error")).to_have_text("")
    expect(page.locator("#qa-by-agent tbody tr")).to_have_count(max(1, len(by_agent)))
    for row in by_agent:
        expect(page.locator("#qa-by-agent tbody")).to_contain_text(f"{row['name']} ({row['agent']})")
    expect(page.locator("#qa-recent tbody")).to_contain_text("no findings")  # no reply broke a rule that day
    expect(page.locator("#heatmap td.heat")).to_have_count(168)  # 7 days x 24 hours
    expect(page.locator("#heatmap tbody th").first).to_have_text("Mon 周一")
    assert all(a.isdigit() for a in page.locator("#heatmap td.heat").evaluate_all("c => c.map(x => x.dataset.agents)"))
    expect(page.locator("#heat-legend .heat-swatch").first).to_have_text("0")
    expect(page.locator("#staff-share")).to_have_value("80")  # shop.yml staffing: 80 % within 30 s
    page.fill("#staff-within", "10")  # a stricter target needs at least as many agents in every hour
    before = [int(a) for a in page.locator("#heatmap td.heat").evaluate_all("c => c.map(x => x.dataset.agents)")]
    page.click("#staff-form button")
    expect(page.locator("#staff-summary")).to_contain_text("within 10 s")
    after = [int(a) for a in page.locator("#heatmap td.heat").evaluate_all("c => c.map(x => x.dataset.agents)")]
    assert all(a >= b for a, b in zip(after, before, strict=True))

    page.select_option("#rep-group", "agent")  # response times per agent
    expect(page.locator("#chart-agents")).to_be_visible()
    agents = page.evaluate("Chart.getChart(document.getElementById('chart-agents')).data.labels")
    assert "ben" in agents

    loaded = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")  # since the page opened
    assert all(url.startswith(stack.helpdesk_url) for url in loaded), loaded  # nothing from the network
    assert f"{stack.helpdesk_url}/console/static/chart.umd.js" in loaded
    assert refused == []


def test_an_agent_has_no_reports_tab_and_the_api_refuses_him(browser, stack):
    page = open_console(browser, stack, "ben")
    expect(page.locator("#live-state")).to_have_text("live")
    expect(page.locator("#reports-tab")).to_be_hidden()
    expect(page.locator("#reports")).to_be_hidden()
    status = page.evaluate("fetch('/reports', {credentials: 'same-origin'}).then(r => r.status)")
    assert status == 403
