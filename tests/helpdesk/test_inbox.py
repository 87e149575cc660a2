"""The console's inbox in one request (GET /inbox, helpdesk/inbox.py) on a served helpdesk with a real Redis: counts,
titles, filters and paging over a desk with more chats waiting than fit on a page."""

from __future__ import annotations

from tests.helpdesk.test_console_api import Console, queue_chat

SESSION = "0123abcd" * 4  # a web chat's id: 32 hex characters nobody should have to read


def test_counts_titles_filters_and_pages(hd):
    ben = Console(hd, "ben")
    assert ben.post("/agents/ben/status", {"status": "online"}).status_code == 200
    # ben takes the first three (his capacity), the rest wait
    queue_chat(hd, SESSION, channel="webchat", customer_name="Lily Chen", category="order")
    queue_chat(hd, "marketplace:c-1001", channel="marketplace", category="order")
    queue_chat(hd, "rest-buyer-7", channel="rest", category="payment")
    for i in range(120):
        channel = ("webchat", "marketplace")[i % 2]
        queue_chat(hd, f"{channel}:w-{i:03d}", channel=channel, category=("complaint", "order", "returns")[i % 3],
                   language=("en", "zh")[i % 2], priority=5 if i % 10 == 0 else 0)  # fmt: skip

    inbox = ben.get("/inbox").json
    assert inbox["counts"]["waiting"] == 120 and inbox["counts"]["assigned"] == 3
    assert inbox["counts"]["waiting_by_priority"] == {"5": 12, "0": 108}
    assert inbox["counts"]["unreplied"] == 3 and inbox["counts"]["oldest_wait_s"] >= 0
    assert inbox["facets"]["channel"] == ["marketplace", "rest", "webchat"]
    titles = {c["conversation_id"]: c["title"] for c in inbox["mine"]}
    assert titles == {
        SESSION: "Lily Chen",
        "marketplace:c-1001": "marketplace · c-1001",
        "rest-buyer-7": "rest · rest-buyer-7",
    }

    # the queue, in serving order (priority first), 50 a page
    first, second, last = (ben.get(f"/inbox?page={n}").json for n in (1, 2, 3))
    assert [len(p["chats"]) for p in (first, second, last)] == [50, 50, 20] and first["total"] == 120
    everyone = [c["conversation_id"] for p in (first, second, last) for c in p["chats"]]
    assert len(set(everyone)) == 120 and [c["position"] for c in first["chats"]][:3] == [1, 2, 3]
    assert {c["priority"] for c in first["chats"][:12]} == {5}
    assert first["chats"][0]["title"].startswith(("webchat · w-", "marketplace · w-"))

    picked = ben.get("/inbox?channel=webchat&category=complaint&language=en&per_page=200").json
    assert picked["total"] == 20 and {(c["channel"], c["category"], c["language"]) for c in picked["chats"]} == {
        ("webchat", "complaint", "en")
    }
    assigned = ben.get("/inbox?view=assigned").json
    assert {c["conversation_id"] for c in assigned["chats"]} == set(titles)
    assert all(c["agent"] == "ben" and c["agent_name"] == "Ben Carter" for c in assigned["chats"])

    for bad in ("view=everything", "page=0", "per_page=500", "page=two", "channel=a&channel=b"):
        r = ben.get(f"/inbox?{bad}")
        assert r.status_code == 400 and r.json["error"] == "bad_field", bad
    assert hd.get("/inbox").json["mine"] == []  # the service token is nobody
