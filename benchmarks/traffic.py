"""Buyers for the benchmarks: the messages they send, and a client that retries like a real one."""

from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

import requests

from shop.formats import MAX_BUYER_TEXT

# what the shop's buyers ask most, in both languages; none of it hands the chat to a person
KEFU_MESSAGES = [
    "hi",
    "any coupon codes?",
    "what size is the floral dress for 165cm 55kg",
    "where is my order A10002",
    "what's your return policy",
    "有优惠码吗",
    "这件连帽卫衣M码合适吗 我170cm 60kg",
    "亚麻衬衫是什么面料",
    "how long does shipping take",
    "谢谢",
]
# one question in each alphabet, stretched to the length limit by at_limit()
QUESTIONS = {
    "zh": "我的订单到现在还没有发货，快递信息一直没有更新，请帮我查一下是什么情况，谢谢！",
    "latin": "hello, my order has not shipped yet and the tracking page has not changed in days, please check. ",
}


def at_limit(text: str) -> str:
    """The text repeated to exactly the longest message a buyer may send."""
    return (text * MAX_BUYER_TEXT)[:MAX_BUYER_TEXT]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for {pid}")


def deliver(session: requests.Session, url: str, sender: str, text: str, message_id: Optional[str] = None,
            tries: int = 40) -> List[dict]:  # fmt: skip
    """POST one message until it is answered (a 502 from a process that died, a 409 while another one still
    answers it): with a message_id the retries are safe, the server answers each message once."""
    body = {"sender": sender, "message": text, **({"message_id": message_id} if message_id else {})}
    for _ in range(tries):
        try:
            r = session.post(url, json=body, timeout=90)
            if r.status_code == 200:
                return r.json()
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"{sender}: {text[:40]!r} was never answered")
