"""Photos through the running stack: from the embedded widget (desktop and phone) and from the fake marketplace
to the agent's console, and an agent's photo back to the buyer; bad files refused with the reason."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Page, expect

from scripts.shop_site import DESKTOP, PHONE
from tests.e2e.test_console import log_in
from tests.e2e.test_embedded_widget import open_chat, say, site_page
from tests.e2e.test_marketplace import Market, message_event
from tests.e2e.test_webchat import with_raw_socket_io
from tests.files.samples import SCRIPT, jpeg, png
from tests.polling import wait_for


@pytest.fixture(scope="module")
def page_url(stack, shop_site) -> str:
    return shop_site.put("/photos", site_page(stack.rasa_url, lang="en"))


def attach(page: Page, selector: str, name: str, data: bytes, mime: str = "image/png") -> None:
    page.set_input_files(selector, files=[{"name": name, "mimeType": mime, "buffer": data}])


def shown(image) -> None:
    """The picture is on screen and really loaded (an image that fails to load has no natural width)."""
    expect(image).to_be_visible()
    wait_for(lambda: image.evaluate("img => img.complete && img.naturalWidth > 0"))


def photo_turn(helpdesk, conversation: str) -> dict:
    turns = wait_for(lambda: [t for t in helpdesk.get(f"{conversation}/transcript", timeout=10).json()["turns"]
                              if t["attachments"]])  # fmt: skip
    return turns[0]


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_photo_from_the_widget_reaches_the_agent_and_one_comes_back(browser, stack, helpdesk, page_url, device):
    page = open_chat(browser, page_url, device)
    attach(page, "#kefu-file", "broken box.png", png())
    shown(page.locator("#kefu-messages li.buyer img"))
    asked = page.locator("#kefu-messages li.bot", has_text="Got your photo")  # no words, nothing before: asked
    expect(asked).to_be_visible()
    damaged = asked.locator("button", has_text="It arrived damaged")
    damaged.tap() if device.get("has_touch") else damaged.click()
    expect(page.locator("#kefu-messages li.bot", has_text="has your chat now")).to_be_visible()

    session = page.evaluate("localStorage.getItem('kefu_session_id')")
    conversation = f"{stack.helpdesk_url}/conversations/{session}"
    live = wait_for(lambda: helpdesk.get(conversation, timeout=10).json()["live"])
    assert live["category"] == "complaint", live
    turn = photo_turn(helpdesk, conversation)
    [kept] = turn["attachments"]
    assert turn["who"] == "buyer" and turn["text"] == "" and turn["intent"] == "send_photo"
    assert kept["name"] == "broken box.png" and kept["type"] == "image/png" and kept["size"] == len(png())
    got = helpdesk.get(f"{stack.helpdesk_url}/files/{kept['file']}", timeout=10)
    assert got.status_code == 200 and got.content == png() and got.headers["X-Content-Type-Options"] == "nosniff"
    assert requests.get(f"{stack.helpdesk_url}/files/{kept['file']}", timeout=10).status_code == 401  # agents only

    r = helpdesk.post(f"{conversation}/files", params={"agent": live["agent"], "name": "label.jpg"}, data=jpeg(),
                      headers={"Content-Type": "image/jpeg"}, timeout=30)  # fmt: skip
    assert r.status_code == 200, r.text
    shown(page.locator("#kefu-messages li.agent img"))
    page.reload()  # the history brings both photos back
    expect(page.locator("#kefu-status")).to_have_text("online")
    shown(page.locator("#kefu-messages li.buyer img"))
    shown(page.locator("#kefu-messages li.agent img"))


def test_the_agent_sees_the_photo_in_the_console_and_sends_one(browser, stack, helpdesk, page_url):
    buyer = open_chat(browser, page_url, DESKTOP)
    say(buyer, "I want to return the shoes, they are the wrong size")
    expect(buyer.locator("#kefu-messages li.bot").last).to_be_visible()
    attach(buyer, "#kefu-file", "shoes.jpg", jpeg(), "image/jpeg")  # after an after-sales question: to a person
    expect(buyer.locator("#kefu-messages li.bot", has_text="colleague in after-sales")).to_be_visible()
    session = buyer.evaluate("localStorage.getItem('kefu_session_id')")
    conversation = f"{stack.helpdesk_url}/conversations/{session}"
    agent = wait_for(lambda: helpdesk.get(conversation, timeout=10).json()["live"].get("agent"))

    console = log_in(browser, stack, agent)
    console.locator(f'#mine li[data-conversation="{session}"]').click()
    shown(console.locator("#transcript li.buyer img"))
    attach(console, "#attach-file", "exchange-label.png", png())
    shown(console.locator("#transcript li.agent img"))
    shown(buyer.locator("#kefu-messages li.agent img"))
    attach(console, "#attach-file", "invoice.png", SCRIPT)  # a script named .png
    expect(console.locator("#action-error")).to_contain_text("not what its name or type says")
    assert console.locator("#transcript li.agent img").count() == 1


def test_bad_files_from_the_widget_are_refused_with_the_reason(browser, stack, page_url):
    page = open_chat(browser, page_url, DESKTOP)
    attach(page, "#kefu-file", "photo.png", SCRIPT)
    expect(page.locator("#kefu-messages li.notice")).to_have_text("The file is not what its name or type says.")
    attach(page, "#kefu-file", "notes.txt", b"just some text", "text/plain")
    expect(page.locator("#kefu-messages li.notice").last).to_contain_text("Only JPG, PNG, GIF, WEBP, PDF files")
    assert page.locator("#kefu-messages li.buyer").count() == 0  # nothing was sent

    upload = f"{stack.rasa_url}/webhooks/webchat/upload"
    session = page.evaluate("localStorage.getItem('kefu_session_id')")
    r = requests.post(upload, params={"session_id": session, "lang": "zh"}, data=b"\0" * (5 * 1024 * 1024 + 1),
                      timeout=30)  # fmt: skip
    assert r.status_code == 413 and r.json()["error"] == "文件超过 5 MB。"
    r = requests.post(upload, params={"session_id": "not-a-session"}, data=png(), timeout=10)
    assert r.status_code == 400 and "Traceback" not in r.text
    other = requests.post(upload, params={"session_id": "f" * 32}, data=png(), timeout=10).json()["file"]["file"]
    assert requests.get(f"{stack.rasa_url}/webhooks/webchat/files/{other}", timeout=10).content == png()
    assert requests.get(f"{stack.rasa_url}/webhooks/webchat/files/..%2F..%2Fshop.yml", timeout=10).status_code == 404

    # a message may carry only its own chat's uploads
    with_raw_socket_io(page, stack)
    acks = page.evaluate(
        """async ([server, session, other]) => {
            const socket = io(server, { path: "/webhooks/webchat/socket.io", transports: ["websocket"] });
            await new Promise((ok) => socket.on("connect", ok));
            const confirmed = new Promise((ok) => socket.on("session_confirm", ok));
            socket.emit("session_request", { session_id: session });
            await confirmed;
            const send = (data) => socket.timeout(30000).emitWithAck("user_uttered", { session_id: session, ...data });
            return [await send({ message: "", attachments: [other] }), await send({ message: "", attachments: "x" })];
        }""",
        [stack.rasa_url, session, other],
    )
    assert [a["ok"] for a in acks] == [False, False] and "not uploaded in this chat" in acks[0]["error"]


def test_a_photo_from_the_marketplace_reaches_the_agent_and_one_goes_back(stack, helpdesk):
    market = Market(stack)
    market.control()
    buyer = market.new_buyer()
    market.say(buyer, "I got the wrong color, I want to exchange it")
    before = len(market.replies(buyer))
    image_id = requests.post(f"{market.url}/_media", data=jpeg(), timeout=10).json()["image_id"]
    [result] = market.send({"buyer_id": buyer, "text": "", "image_id": image_id})
    assert result["delivered"], result
    market.drained()
    answers = [r["text"] for r in market.replies(buyer)[before:]]
    assert any("colleague in after-sales" in a for a in answers) and "has your chat now" in answers[-1], answers
    conversation = f"{stack.helpdesk_url}/conversations/marketplace:c-{buyer}"
    live = wait_for(lambda: helpdesk.get(conversation, timeout=10).json()["live"])
    assert live["state"] == "assigned", live
    [kept] = photo_turn(helpdesk, conversation)["attachments"]
    assert helpdesk.get(f"{stack.helpdesk_url}/files/{kept['file']}", timeout=10).content == jpeg()

    r = helpdesk.post(f"{conversation}/files", params={"agent": live["agent"]}, data=png(), timeout=30)
    assert r.status_code == 200, r.text
    market.drained()
    last = market.replies(buyer)[-1]
    assert last["sender"]["type"] == "agent" and last["image_id"]  # the marketplace fetched it from kefu
    assert requests.get(f"{market.url}/_media/{last['image_id']}", timeout=10).content == png()


def test_the_marketplaces_bad_or_foreign_images_are_refused(stack):
    market = Market(stack)
    market.control()
    buyer = market.new_buyer()
    image_id = requests.post(f"{market.url}/_media", data=SCRIPT, timeout=10).json()["image_id"]
    [result] = market.send({"buyer_id": buyer, "text": "看看这个", "image_id": image_id})
    assert result["delivered"], result
    market.drained()
    # the fake serves it as application/octet-stream: not a type kefu takes, said in the caption's language
    assert market.replies(buyer)[-1]["text"] == "只能发送 JPG, PNG, GIF, WEBP, PDF 格式的文件。"
    event = message_event(buyer, "")
    event["message"]["image"] = {"url": "http://169.254.169.254/latest/meta-data"}  # not the marketplace's host
    r = market.post_raw(*market.signed(event))
    assert r.status_code == 400 and "host" in r.json()["error"]
    event = message_event(buyer, "")
    r = market.post_raw(*market.signed(event))  # neither words nor a photo
    assert r.status_code == 400 and "message.text" in r.json()["error"]
