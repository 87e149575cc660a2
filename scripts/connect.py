"""Onboarding: does kefu reach the shop's platform, and what does it find there?

    make connect                    # the shop of KEFU_SHOP_CONFIG (shop.yml)
    make connect SHOP=teahouse      # the second demo shop (its fake Shopify is started for the check)

It checks the adapter's credentials (shop.yml store.adapter, secrets SHOP_API_*), counts the orders and
products, and states the latest order as the bot would: the real action server answers a conversation
in which that order is already proven, in English and in Chinese, and the replies are the domain's
responses filled with what the action said. Exit status 0 when the platform answered, 1 otherwise.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, List

import requests
import yaml

from scripts.stack import BIN, Stack, free_port, serving_demo_platform, wait_http
from shop.config import load_shop_config
from shop.platforms import StoreConfigError, open_store
from shop.settings import ROOT, Settings
from shop.store import OrderView, StoreAuthError, StoreUnavailable


def responses() -> Dict[str, List[Dict[str, Any]]]:
    found: Dict[str, List[Dict[str, Any]]] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        found.update(yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {})
    return found


def render(message: Dict[str, Any], lang: str, domain: Dict[str, List[Dict[str, Any]]]) -> str:
    """A message of the action server as the buyer reads it: the response in their language, filled in."""
    if message.get("text"):
        return message["text"]
    variants = domain.get(message.get("response") or "", [])
    chosen = next((v for v in variants if ("condition" in v) == (lang == "zh")), variants[0] if variants else {})
    values = {**message.get("custom", {}), **{k: v for k, v in message.items() if k not in ("response", "text")}}
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), chosen.get("text", ""))


def as_the_bot_states_it(action_url: str, order: OrderView, lang: str) -> List[str]:
    """Ask the running action server for action_order_info on a conversation that has proven the order."""
    slots = {"order_number": order.number, "verified_orders": [order.number], "language": lang}
    text = "订单状态" if lang == "zh" else "order status"
    tracker = {
        "sender_id": f"connect-{uuid.uuid4().hex[:8]}", "slots": slots, "events": [], "paused": False,
        "latest_message": {"text": text, "intent": {"name": "order_status", "confidence": 1.0}, "entities": []},
        "latest_event_time": None, "followup_action": None, "active_loop": {}, "latest_action_name": None,
    }  # fmt: skip
    r = requests.post(action_url, json={"next_action": "action_order_info", "sender_id": tracker["sender_id"],
                                        "tracker": tracker, "domain": {}}, timeout=30)  # fmt: skip
    r.raise_for_status()
    domain = responses()
    return [render(m, lang, domain) for m in r.json().get("responses", [])]


def check(settings: Settings) -> int:
    cfg = load_shop_config(settings.shop_config)
    where = "DATABASE_URL" if cfg.store.adapter == "kefu_sql" else (settings.shop_api_url or cfg.store.url or "?")
    print(f"Shop:      {cfg.shop.name.en} / {cfg.shop.name.zh}  ({settings.shop_config})")
    print(f"Platform:  {cfg.store.adapter} at {where}")
    try:
        store = open_store(cfg, settings, patient=True)
        try:
            counts, latest = store.counts(), store.latest_order()
            products = store.products()
        finally:
            store.close()
    except StoreConfigError as exc:
        print(f"Not configured: {exc}")
        return 1
    except StoreAuthError as exc:
        print(f"Credentials REFUSED: {exc}")
        return 1
    except StoreUnavailable as exc:
        print(f"Platform NOT ANSWERING: {exc}")
        return 1
    print("Credentials: accepted")
    print(f"Found:     {counts.orders} orders, {counts.products} products")
    names = ", ".join(f"{p.name_en} / {p.name_zh}" for p in products[:5])
    print(f"Catalog:   {names}{' ...' if len(products) > 5 else ''}")
    if latest is None:
        print("No orders yet: nothing to state.")
        return 0
    print(f"Latest order {latest.number}, as the bot states it to its buyer ({latest.customer_email}):")
    # the demo stack's environment (its carrier, this shop), with this check's platform address and secrets
    port = free_port()
    env = Stack(action_port=port, shop_config=settings.shop_config, var_dir=settings.var_dir).env()
    env.update({k: v for k, v in settings.environ.items() if k.startswith("SHOP_API_")})
    command = [str(BIN / "python"), "-m", "scripts.rasa_cli", "run", "actions", "--port", str(port), "--actions",
               "actions"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", 60, proc)
        for lang in ("en", "zh"):
            for line in as_the_bot_states_it(f"http://127.0.0.1:{port}/webhook", latest, lang):
                print(f"  [{lang}] {line}")
    finally:
        proc.terminate()
        proc.wait(10)
    return 0


def main() -> None:
    settings = Settings.from_env()
    with serving_demo_platform(Path(settings.shop_config)) as platform_env:
        code = check(Settings.from_env({**settings.environ, **platform_env}))
    sys.exit(code)


if __name__ == "__main__":
    main()
