"""Photos in the helpdesk API: an agent sends one to a chat they hold (checked like a buyer's), and only the
console's users and the service read a kept file. Rasa is down here: the sending itself is tested end to end
(tests/e2e/test_photos.py)."""

from __future__ import annotations

from pathlib import Path

from shop.attachments import LocalFiles
from tests.files.samples import SCRIPT, png
from tests.helpdesk.test_console_api import Console
from tests.helpdesk.test_service import enqueue


def send(hd, cid: str, data: bytes, agent: str = "amy", content_type: str = "image/png", **headers):
    return hd.request("post", f"/conversations/{cid}/files", params={"agent": agent, "name": "x.png"}, data=data,
                      headers={"Content-Type": content_type, **headers})  # fmt: skip


def test_only_the_owner_sends_and_bad_files_are_refused_with_the_reason(hd):
    hd.post("/agents/amy/status", {"status": "online"})
    enqueue(hd, "photo-1")
    assert send(hd, "photo-1", png(), agent="ben").json["error"] == "not_yours"
    assert send(hd, "photo-1", SCRIPT, agent="ben").json["error"] == "bad_file"  # the file is checked first
    assert send(hd, "nobody", png()).json["error"] == "not_found"
    r = send(hd, "photo-1", SCRIPT)
    assert r.status_code == 415 and r.json["error"] == "bad_file" and "not what its name" in r.json["reason"]
    r = send(hd, "photo-1", b"")
    assert r.status_code == 400 and r.json["error"] == "bad_body" and "empty" in r.json["reason"]
    r = send(hd, "photo-1", png() + b"\0" * (5 * 1024 * 1024 + 1 - len(png())))
    assert r.status_code == 413 and r.json["error"] == "file_too_large" and "5 MB" in r.json["reason"]
    r = hd.request("post", "/conversations/photo-1/files", data=png())
    assert r.status_code == 400 and r.json["error"] == "missing_field"  # the token must say which agent
    r = send(hd, "photo-1", png())  # a good photo, but Rasa is down: refused, the chat still unanswered
    assert r.status_code == 502 and r.json["error"] == "rasa_unavailable"
    assert not hd.get("/conversations/photo-1").json["live"].get("first_reply_at")


def test_a_json_body_stays_small_though_a_photo_may_be_large(hd):
    r = hd.post("/handoffs", {"conversation_id": "big", "summary": "x" * 70_000})
    assert r.status_code == 413 and r.json["error"] == "body_too_large"


def test_kept_files_are_read_by_the_console_and_the_service_only(hd):
    files = Path(hd.app.ctx.hd.settings.files_url)
    name = LocalFiles(files).put(png(), "image/png")
    r = hd.get(f"/files/{name}")
    assert r.status_code == 200 and r.body == png() and r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff" and "sandbox" in r.headers["content-security-policy"]
    assert hd.get(f"/files/{name}", auth=False).status_code == 401
    amy = Console(hd, "amy")
    assert amy.get(f"/files/{name}").body == png()
    assert hd.get(f"/files/{'0' * 32}.png").status_code == 404
    assert hd.get("/files/..%2F..%2Fshop.yml").status_code == 404
    assert hd.get(f"/files/{name[:-4]}.exe").status_code == 404
