"""Console logins, sessions, CSRF, roles and quick replies, on a helpdesk app served in this process."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any, Dict

from sanic_testing.testing import TestingResponse as Response  # not Test*: pytest would collect it

from helpdesk.web.console import fill
from tests.helpdesk.conftest import PASSWORD, helpdesk_env
from tests.helpdesk.served import ServedApp


class Console:
    """A logged-in console user, without the service's token. The session cookie is Secure, which httpx will
    not send over http (browsers do, on localhost), so it is passed by hand; the CSRF token goes in its
    header as the page does."""

    def __init__(self, hd: ServedApp, agent: str, password: str = PASSWORD) -> None:
        self.hd = hd
        self.headers: Dict[str, str] = {}
        self.login = hd.post("/auth/login", {"agent": agent, "password": password}, auth=False)
        if self.login.status_code == 200:
            self.cookie = SimpleCookie(self.login.headers["set-cookie"])["kefu_session"]
            self.headers = {"Cookie": f"kefu_session={self.cookie.value}", "X-CSRF-Token": self.login.json["csrf"]}

    def request(self, method: str, path: str, **kwargs: Any) -> Response:
        return self.hd.request(method, path, auth=False, headers=self.headers, **kwargs)

    def get(self, path: str) -> Response:
        return self.request("get", path)

    def post(self, path: str, body: Any = None) -> Response:
        return self.request("post", path, json=body if body is not None else {})

    def delete(self, path: str) -> Response:
        return self.request("delete", path)


def queue_chat(hd: ServedApp, cid: str, **extra) -> None:
    r = hd.post("/handoffs", {"conversation_id": cid, "language": "en", **extra})
    assert r.status_code == 201, r.text


def test_login_sets_a_safe_cookie_and_wrong_passwords_are_refused(hd):
    amy = Console(hd, "amy")
    assert amy.login.status_code == 200 and amy.login.json["role"] == "supervisor"
    assert amy.cookie["httponly"] and amy.cookie["secure"] and amy.cookie["samesite"] == "Strict"
    assert amy.get("/auth/me").json["agent"] == "amy"
    for agent, password in [("amy", "wrong password"), ("nobody", PASSWORD), ("amy", "")]:
        r = Console(hd, agent, password).login
        assert r.status_code in (400, 401) and "Traceback" not in r.text
    assert hd.get("/auth/me", auth=False).status_code == 401
    assert amy.post("/auth/logout").status_code == 200
    assert amy.get("/auth/me").status_code == 401  # the session is gone on the server


def test_logins_are_rate_limited(hd):
    codes = [Console(hd, "ben", "not the password").login.status_code for _ in range(12)]
    assert codes[:8] == [401] * 8 and codes[-1] == 429
    assert Console(hd, "ben").login.status_code == 429  # even the right password waits out the minute


def test_changes_need_the_csrf_header(hd):
    ben = Console(hd, "ben")
    del ben.headers["X-CSRF-Token"]
    r = ben.post("/agents/ben/status", {"status": "online"})
    assert r.status_code == 403 and r.json["error"] == "csrf"
    assert ben.get("/queue").status_code == 200  # reading needs no token


def test_a_console_user_acts_only_as_themselves_unless_supervisor(hd):
    ben, chen, amy = Console(hd, "ben"), Console(hd, "chen"), Console(hd, "amy")
    assert ben.post("/agents/chen/status", {"status": "offline"}).json["error"] == "not_you"
    assert ben.post("/agents/ben/status", {"status": "online"}).status_code == 200
    queue_chat(hd, "c-1")
    assert ben.post("/conversations/c-1/reply", {"agent": "chen", "text": "hi"}).json["error"] == "not_you"
    assert chen.post("/conversations/c-1/resolve").json["error"] == "not_yours"
    assert chen.post("/conversations/c-1/resolve", {"as_supervisor": True}).json["error"] == "not_supervisor"
    assert amy.post("/conversations/c-1/resolve", {"as_supervisor": True}).status_code == 200


def test_claim_from_the_console(serve_helpdesk):
    hd = serve_helpdesk(mode="manual")
    chen = Console(hd, "chen")
    chen.post("/agents/chen/status", {"status": "online"})
    queue_chat(hd, "m-1")
    assert chen.post("/conversations/m-1/claim").json == {"conversation_id": "m-1", "agent": "chen"}


def test_quick_replies_public_and_personal_filled_in_the_buyers_language(hd):
    ben = Console(hd, "ben")
    ben.post("/agents/ben/status", {"status": "online"})
    queue_chat(hd, "zh-1", language="zh", order_number="A10002")
    library = {q["shortcut"]: q for q in ben.get("/quick-replies").json["quick_replies"]}
    assert {"hello", "sorry", "shipping"} <= set(library) and not library["hello"]["personal"]
    r = ben.post("/conversations/zh-1/quick-reply", {"shortcut": "hello"})
    assert r.json["language"] == "zh" and r.json["text"] == "Lily Chen您好,我是客服Ben Carter,正在查看您的消息。"
    queue_chat(hd, "zh-anonymous", language="zh")
    assert ben.post("/conversations/zh-anonymous/quick-reply", {"shortcut": "sorry"}).json["text"].startswith("亲,")
    tracking = ben.post("/conversations/zh-1/quick-reply", {"shortcut": "shipping"}).json["text"]
    assert tracking == "您的订单A10002已发货,运单号SP000000002。"
    # an agent's own reply with the same shortcut wins, for them only
    assert ben.post("/quick-replies", {"shortcut": "hello", "en": "Yo {name}!"}).status_code == 200
    assert ben.post("/conversations/zh-1/quick-reply", {"shortcut": "hello"}).json["text"] == "Yo Lily Chen!"
    chen = Console(hd, "chen")
    assert not {q["shortcut"]: q for q in chen.get("/quick-replies").json["quick_replies"]}["hello"]["personal"]
    assert ben.post("/quick-replies", {"shortcut": "bad shortcut!", "en": "x"}).json["error"] == "bad_field"
    assert ben.post("/conversations/zh-1/quick-reply", {"shortcut": "nope"}).status_code == 404
    assert ben.delete("/quick-replies/hello").status_code == 200
    assert ben.delete("/quick-replies/hello").status_code == 404
    # a Chinese shortcut arrives percent-encoded in the URL, as the console sends it
    assert ben.post("/quick-replies", {"shortcut": "退货", "zh": "退货请在7天内申请"}).status_code == 200
    assert ben.delete("/quick-replies/%E9%80%80%E8%B4%A7").status_code == 200
    # so does a channel-prefixed conversation id
    queue_chat(hd, "marketplace:c-7", language="en")
    assert ben.get("/conversations/marketplace%3Ac-7/customer").status_code == 200
    assert hd.get("/conversations/marketplace%3Ac-7").json["live"]["conversation_id"] == "marketplace:c-7"


def test_fill_replaces_only_the_known_variables():
    values = {"name": "Lily", "order_no": "A10002", "tracking_no": "SP1", "agent": "Ben"}
    assert fill("{name} {order_no} {tracking_no} {agent} {other} {", values) == "Lily A10002 SP1 Ben {other} {"


def test_the_customer_panel_and_the_page(hd):
    ben = Console(hd, "ben")
    queue_chat(hd, "anon-1")
    panel = ben.get("/conversations/anon-1/customer").json
    assert panel["known"] is False and panel["orders"] == []
    queue_chat(hd, "vip-1", order_number="A10004", vip=True)
    panel = ben.get("/conversations/vip-1/customer").json
    assert panel["known"] and panel["name"] == "James Miller" and panel["vip"] is True
    assert {"number": "A10004", "status": "delivered"}.items() <= next(
        o for o in panel["orders"] if o["number"] == "A10004"
    ).items()
    page = hd.get("/console", auth=False)
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # no inline script: the CSP forbids it
    assert hd.get("/console/static/console.js", auth=False).status_code == 200


def test_internal_notes_are_for_agents_only(hd):
    ben = Console(hd, "ben")
    queue_chat(hd, "n-1")
    assert ben.post("/conversations/n-1/notes", {"text": "VIP, be gentle"}).status_code == 201
    assert ben.post("/conversations/n-1/notes", {"text": " "}).json["error"] == "bad_text"
    chen = Console(hd, "chen")
    assert [n["text"] for n in chen.get("/conversations/n-1/notes").json["notes"]] == ["VIP, be gentle"]
    assert hd.get("/conversations/n-1/notes").status_code == 401  # the service token is not a person


def test_behind_a_proxy_logins_are_limited_per_forwarded_address(tmp_path, sqlite_shop, start_redis_server):
    env = {**helpdesk_env(tmp_path, start_redis_server(tmp_path), sqlite_shop), "KEFU_PROXIES_COUNT": "1"}
    proxied = ServedApp(env)
    try:

        def login_from(address: str) -> int:
            body = {"agent": "ben", "password": "not the password"}
            return proxied.post("/auth/login", body, auth=False, headers={"X-Forwarded-For": address}).status_code

        assert [login_from("10.0.0.1") for _ in range(12)][-1] == 429  # one agent's typos lock only them out
        assert login_from("10.0.0.2") == 401
    finally:
        proxied.close()


def test_without_a_proxy_a_forwarded_address_is_ignored(hd):
    codes = [hd.post("/auth/login", {"agent": "ben", "password": "x"}, auth=False,
                     headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(12)]  # fmt: skip
    assert codes[-1] == 429  # a caller cannot dodge the limit by naming other addresses


def test_only_the_owner_says_they_are_typing(hd):
    ben, chen = Console(hd, "ben"), Console(hd, "chen")
    assert ben.post("/agents/ben/status", {"status": "online"}).status_code == 200
    queue_chat(hd, "0123abcd" * 4, channel="webchat")
    queue_chat(hd, "marketplace:c-9", channel="marketplace")
    assert hd.get(f"/conversations/{'0123abcd' * 4}").json["live"]["agent"] == "ben"
    assert chen.post(f"/conversations/{'0123abcd' * 4}/typing").json["error"] == "not_yours"
    assert ben.post("/conversations/nobody-here/typing").json["error"] == "not_found"
    # the owner: shown only on a web chat, and here not even there, as Rasa is down (best effort, no error)
    for cid in ("0123abcd" * 4, "marketplace:c-9"):
        r = ben.post(f"/conversations/{cid}/typing")
        assert r.status_code == 200 and r.json == {"conversation_id": cid, "shown": False}
