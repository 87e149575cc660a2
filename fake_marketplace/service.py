"""A stand-in for a marketplace's customer-service platform, for the demo and the tests.

    python -m fake_marketplace.service --port 5058 --webhook-url http://127.0.0.1:5005/webhooks/marketplace/webhook

It plays both ends a real marketplace has: buyers whose messages it signs (connectors/marketplace/wire.py) and
pushes to the shop's webhook, retrying like a real platform on anything but a 2xx; and the API that takes the
shop's replies (bearer token, Idempotency-Key), records them and shows them to the buyer.

    GET  /                                     a buyer's chat page (pick a demo buyer, write, read the replies)
    POST /api/v1/shops/<shop>/conversations/<conversation>/messages     the shop's reply (the real API's shape)
    POST /_send        {"events": [{"buyer_id", "text"} | {"type": "read"|"conversation_closed", "buyer_id"}, ...],
                        "concurrency": 8}   sign and deliver; optional per event: event_id, created_at, read_up_to,
                        image_id (a photo from POST /_media; text may then be "")
    POST /_media       a buyer's photo (the body): {"image_id"}
    GET  /api/v1/media/<image_id>            the photo, for the shop (bearer token), as a real platform serves it
    GET  /_media/<image_id>                  the same for the buyer page; a shop's photo reply is fetched from
                                             kefu's public URL when it arrives and kept here too
    GET  /_conversations/<conversation>      the thread: buyer messages and the shop's replies, in order
    GET  /_stats                             counts: deliveries, webhook answers, replies, duplicate replies
    POST /_control     misbehave: {"fail_status": 503, "fail_times": 2, "delay_s": 1, "accept_then_fail": true,
                        "repeat": 1 (deliver every event again), "reverse": true (deliver a batch last-first)}
    POST /_reset       forget everything

With --orders FILE it also serves the shop's order API (orders, products, buyers, vouchers; the same bearer token)
and its own test controls /_orders_control, /_orders_stats, /_orders_reset: fake_platforms/marketplace_orders.py.
Without it that API answers as an empty shop.

The buyer's conversation id is "c-<buyer_id>" (one conversation per buyer and shop, as on most marketplaces).
Secrets: MARKETPLACE_APP_SECRET signs the webhooks, MARKETPLACE_ACCESS_TOKEN is the token the shop must send.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional

import aiohttp
from sanic import Sanic, response
from sanic.request import Request

from connectors.marketplace.wire import WIRE
from fake_platforms.marketplace_orders import add_order_api, load_data
from shop.settings import Settings

PAGE = Path(__file__).with_name("buyer.html")
DEMO_BUYERS = {"mkt-buyer-1001": "Lily Chen", "mkt-buyer-1002": "王伟", "mkt-buyer-9999": "A new buyer"}
DELIVERY_TRIES = 6  # a real platform retries a failed webhook call for hours; the demo gives up sooner


def conversation_of(buyer_id: str) -> str:
    return f"c-{buyer_id}"


class Marketplace:
    def __init__(self, shop_id: str, webhook_url: str, secret: str, token: str) -> None:
        self.shop_id, self.webhook_url, self.secret, self.token = shop_id, webhook_url, secret.encode(), token
        self.ids = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        self.control: Dict[str, Any] = {}
        self.threads: Dict[str, List[Dict[str, Any]]] = defaultdict(list)  # conversation -> messages both ways
        self.replies_by_key: Dict[str, Dict[str, Any]] = {}
        self.stats: Counter = Counter()
        self.sent_at: Dict[str, float] = {}  # buyer message id -> first delivery attempt
        self.media: Dict[str, bytes] = {}  # image id -> bytes, both ways

    def keep_media(self, data: bytes) -> str:
        image_id = f"img-{next(self.ids)}-{int(time.time() * 1000)}"
        self.media[image_id] = data
        return image_id

    def event(self, item: Dict[str, Any], base_url: str = "") -> Dict[str, Any]:
        """A full webhook event from a test's short form."""
        buyer = str(item["buyer_id"])
        now_ms = int(time.time() * 1000)
        event = {
            "event_id": item.get("event_id") or f"evt-{next(self.ids)}-{now_ms}",
            "type": item.get("type", "message"),
            "shop_id": item.get("shop_id", self.shop_id),
            "conversation_id": conversation_of(buyer),
            "buyer_id": buyer,
            "created_at": int(item.get("created_at") or now_ms),
        }
        if event["type"] == "message":
            event["message"] = {"id": item.get("message_id") or f"m-{next(self.ids)}", "text": item.get("text", "")}
            if item.get("image_id"):
                event["message"]["image"] = {"url": f"{base_url}/api/v1/media/{item['image_id']}"}
        if event["type"] == "read":
            event["read_up_to"] = int(item.get("read_up_to") or now_ms)
        return event

    async def deliver(self, http: aiohttp.ClientSession, event: Dict[str, Any]) -> Dict[str, Any]:
        """Sign and POST one event until the shop answers 2xx (a fresh timestamp and signature each try)."""
        body = WIRE.event_body(event)
        answers: List[int] = []
        if event["type"] == "message":  # when the platform first sends it, for latency measurements
            self.sent_at.setdefault(event["message"]["id"], time.time())
        for attempt in range(DELIVERY_TRIES):
            headers = WIRE.signed_headers(self.secret, body, time.time())
            try:
                async with http.post(self.webhook_url, data=body, headers=headers) as r:
                    answers.append(r.status)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                answers.append(0)
            self.stats[f"webhook_{answers[-1]}"] += 1
            if 200 <= answers[-1] < 300:
                break
            await asyncio.sleep(min(0.25 * 2**attempt, 4))
        self.stats["deliveries"] += 1
        return {"event_id": event["event_id"], "answers": answers, "delivered": 200 <= answers[-1] < 300}

    async def send(self, items: List[Dict[str, Any]], concurrency: int, base_url: str = "") -> List[Dict[str, Any]]:
        events = [self.event(item, base_url) for item in items]
        for e, item in zip(events, items, strict=True):
            if e["type"] == "message":
                self.threads[e["conversation_id"]].append(
                    {"from": "buyer", "text": e["message"]["text"], "message_id": e["message"]["id"], "at": time.time(),
                     "image_id": item.get("image_id")}
                )  # fmt: skip
        order = list(reversed(events)) if self.control.get("reverse") else list(events)
        order += order * int(self.control.get("repeat") or 0)  # a platform delivering everything twice
        gate = asyncio.Semaphore(max(1, concurrency))
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as http:

            async def one(event: Dict[str, Any]) -> Dict[str, Any]:
                async with gate:
                    return await self.deliver(http, event)

            return list(await asyncio.gather(*(one(e) for e in order)))

    async def take_reply(self, request: Request, shop: str, conversation: str) -> response.HTTPResponse:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return response.json({"error": "invalid access token"}, status=401)
        if shop != self.shop_id:
            return response.json({"error": "unknown shop"}, status=404)
        ctl = self.control
        if ctl.get("delay_s"):
            await asyncio.sleep(float(ctl["delay_s"]))
        if ctl.get("fail_status") and ctl.get("fail_times", 1) > 0:  # no fail_times: refuse until told otherwise
            if "fail_times" in ctl:
                ctl["fail_times"] -= 1
            self.stats["replies_refused"] += 1
            return response.json({"error": "refused on purpose"}, status=int(ctl["fail_status"]))
        key = request.headers.get("idempotency-key") or ""
        body = request.json if isinstance(request.json, dict) else {}
        if not key:
            return response.json({"error": "Idempotency-Key header is required"}, status=400)
        if key in self.replies_by_key:
            self.stats["duplicate_replies"] += 1  # a retry of a message we already have: not shown twice
            return response.json({"message_id": self.replies_by_key[key]["id"], "duplicate": True})
        text = body.get("text")
        image = body.get("image") if isinstance(body.get("image"), dict) else {}
        if not isinstance(text, str) or not (text.strip() or body.get("buttons") or image):
            return response.json({"error": "text is required"}, status=400)
        image_id = None
        if image:  # fetched now, as a platform re-hosts a shop's photo; a failure is the shop's to retry
            try:
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
                    async with http.get(str(image.get("url"))) as r:
                        if r.status != 200 or not r.content_type.startswith("image/"):
                            return response.json({"error": f"image not fetched: {r.status}"}, status=400)
                        image_id = self.keep_media(await r.read())
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                return response.json({"error": f"image not fetched: {exc}"}, status=400)
        reply = {"from": "shop", "id": f"r-{next(self.ids)}", "text": text, "buttons": body.get("buttons") or [],
                 "reply_to": body.get("reply_to"), "sender": body.get("sender") or {}, "idempotency_key": key,
                 "at": time.time(), "image_id": image_id}  # fmt: skip
        self.replies_by_key[key] = reply
        self.threads[conversation].append(reply)
        self.stats["replies"] += 1
        if ctl.get("accept_then_fail"):  # the message is taken but the answer is lost on the way back
            ctl.pop("accept_then_fail")
            return response.json({"error": "gateway timeout"}, status=504)
        return response.json({"message_id": reply["id"]}, status=201)


def create_app(market: Marketplace, name: str = "fake_marketplace") -> Sanic:
    app = Sanic(name)

    @app.get("/")
    async def page(_: Request) -> response.HTTPResponse:
        return await response.file(PAGE)

    @app.get("/_buyers")
    async def buyers(_: Request) -> response.HTTPResponse:
        return response.json([{"buyer_id": b, "name": n, "conversation_id": conversation_of(b)}
                              for b, n in DEMO_BUYERS.items()])  # fmt: skip

    @app.post("/api/v1/shops/<shop>/conversations/<conversation>/messages")
    async def reply(request: Request, shop: str, conversation: str) -> response.HTTPResponse:
        return await market.take_reply(request, shop, conversation)

    @app.post("/_send")
    async def send(request: Request) -> response.HTTPResponse:
        data = request.json if isinstance(request.json, dict) else {}
        items = data.get("events")
        if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("buyer_id") for i in items):
            return response.json({"error": "events: a list of {buyer_id, text} objects"}, status=400)
        unknown = [i["image_id"] for i in items if i.get("image_id") and i["image_id"] not in market.media]
        if unknown:
            return response.json({"error": f"no such image: {unknown[0]}"}, status=400)
        base_url = f"{request.scheme}://{request.host}"
        results = await market.send(items, int(data.get("concurrency") or 1), base_url)
        return response.json({"results": results})

    @app.post("/_media")
    async def upload(request: Request) -> response.HTTPResponse:
        if not request.body:
            return response.json({"error": "the photo is the body"}, status=400)
        return response.json({"image_id": market.keep_media(request.body)})

    @app.get("/api/v1/media/<image_id>")
    async def media_for_shop(request: Request, image_id: str) -> response.HTTPResponse:
        if request.headers.get("authorization") != f"Bearer {market.token}":
            return response.json({"error": "invalid access token"}, status=401)
        return media(image_id)

    @app.get("/_media/<image_id>")
    async def media_for_buyer(_: Request, image_id: str) -> response.HTTPResponse:
        return media(image_id)

    def media(image_id: str) -> response.HTTPResponse:
        data = market.media.get(image_id)
        if data is None:
            return response.json({"error": "no such image"}, status=404)
        kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg" if data.startswith(b"\xff\xd8") else None
        return response.raw(data, content_type=kind or "application/octet-stream")

    @app.get("/_conversations/<conversation>")
    async def thread(_: Request, conversation: str) -> response.HTTPResponse:
        messages = [{**m, "sent_at": market.sent_at.get(m.get("message_id", ""))} if m["from"] == "buyer" else m
                    for m in market.threads.get(conversation, [])]  # fmt: skip
        return response.json({"conversation_id": conversation, "messages": messages})

    @app.get("/_stats")
    async def stats(_: Request) -> response.HTTPResponse:
        return response.json(dict(market.stats))

    @app.post("/_control")
    async def control(request: Request) -> response.HTTPResponse:
        market.control = dict(request.json or {})
        return response.json({"control": market.control})

    @app.post("/_reset")
    async def reset(_: Request) -> response.HTTPResponse:
        market.reset()
        return response.json({"ok": True})

    @app.get("/health")
    async def health(_: Request) -> response.HTTPResponse:
        return response.json({"ok": True})

    return app


def main(argv: Optional[List[str]] = None) -> None:
    ap = argparse.ArgumentParser(description="a fake marketplace for the kefu demo and tests")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5058)
    ap.add_argument("--shop-id", default="kefu-demo-shop")
    ap.add_argument("--webhook-url", default="http://127.0.0.1:5005/webhooks/marketplace/webhook")
    ap.add_argument("--orders", type=Path, default=None, help="a JSON file of the shop for the order API")
    args = ap.parse_args(argv)
    secrets = Settings.from_env().channel_secrets("marketplace")
    market = Marketplace(args.shop_id, args.webhook_url, secrets.app_secret, secrets.access_token)
    if not market.secret or not market.token:
        raise SystemExit("set MARKETPLACE_APP_SECRET and MARKETPLACE_ACCESS_TOKEN")
    app = create_app(market)
    add_order_api(app, load_data(args.orders), market.token, args.shop_id)
    app.run(host=args.host, port=args.port, access_log=False)


if __name__ == "__main__":
    main()
