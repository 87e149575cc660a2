"""The console of a desk with 150 chats waiting, in chromium: the supervisor's overview first, counts by state and
priority, readable titles, filters and pages, all from one request per refresh. A helpdesk process of its own
(no Rasa: no chat is opened), so the shared stack's agents keep their room."""

from __future__ import annotations

from typing import Iterator, List

import pytest
from playwright.sync_api import Page, expect

from tests.helpdesk.conftest import PASSWORD, helpdesk_env, start_redis_server  # noqa: F401 (a fixture)
from tests.helpdesk.procs import Helpdesk

WAITING = 150


@pytest.fixture
def busy_desk(tmp_path, sqlite_shop, start_redis_server) -> Iterator[Helpdesk]:  # noqa: F811
    service = Helpdesk(helpdesk_env(tmp_path, start_redis_server(tmp_path), sqlite_shop), tmp_path / "helpdesk.log")
    for i in range(WAITING):  # nobody is online: every chat waits
        channel = ("webchat", "marketplace")[i % 2]
        body = {"conversation_id": f"{channel}:b-{i:03d}", "channel": channel, "language": ("en", "zh")[i % 3 == 0],
                "category": ("complaint", "order", "returns")[i % 3], "priority": 5 if i % 25 == 0 else 0}  # fmt: skip
        if i == 7:
            body["customer_name"] = "Lily Chen"
        assert service.post("/handoffs", body).status_code == 201
    yield service
    service.stop()


def log_in(browser, desk: Helpdesk, agent: str, seen: List[str]) -> Page:
    """The console, logged in; every URL the page asks for goes into `seen`."""
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.on("request", lambda r: seen.append(r.url))
    page.goto(f"{desk.url}/console")
    page.fill("#login-agent", agent)
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")
    return page


def test_a_supervisor_works_a_queue_of_150(browser, busy_desk):
    seen: List[str] = []
    amy = log_in(browser, busy_desk, "amy", seen)
    expect(amy.locator("#counts")).to_contain_text(f"waiting 排队 {WAITING} (P5 6)")
    expect(amy.locator("#counts")).to_contain_text("oldest wait")
    # the overview of the agents comes first, above the lists
    overview, queue = amy.locator("#supervisor").bounding_box(), amy.locator("#chat-list").bounding_box()
    assert overview["y"] < queue["y"]
    expect(amy.locator("#agents tbody tr")).to_have_count(3)  # amy, ben, chen (tina trains, takes no chats)

    rows = amy.locator("#chat-list li")
    expect(rows).to_have_count(50)
    expect(amy.locator("#page-info")).to_have_text(f"1–50 of {WAITING}")
    expect(rows.first.locator("strong")).to_have_text("webchat · b-000")  # P5, first in line; no 32-digit ids
    expect(amy.locator('#chat-list li[data-conversation="marketplace:b-007"] strong')).to_have_text("Lily Chen")
    assert not any("/conversations/" in url for url in seen)  # one request fills the column, not one per chat

    amy.click("#page-next")
    expect(amy.locator("#page-info")).to_have_text(f"51–100 of {WAITING}")
    amy.click("#page-next")
    expect(amy.locator("#page-info")).to_have_text(f"101–150 of {WAITING}")
    expect(amy.locator("#page-next")).to_be_disabled()  # the last page
    expect(amy.locator("#page-prev")).to_be_enabled()

    amy.select_option("#filters select[name=category]", "complaint")
    expect(amy.locator("#page-info")).to_have_text("1–50 of 50")
    amy.select_option("#filters select[name=channel]", "webchat")
    expect(amy.locator("#page-info")).to_have_text("1–25 of 25")
    for text in rows.locator("span.tag").all_inner_texts():
        assert text in ("webchat", "P5")
    amy.click("#list-assigned")
    expect(amy.locator("#page-info")).to_have_text("0–0 of 0")  # nobody online: nothing in progress
