"""What reading the shop's data through a platform costs, as ratios to kefu's own SQL schema in the same run.

    make bench-platforms

An order lookup (find_order, what every order question starts with) on the demo shop's SQLite database is the
baseline; against it, the same lookup on the fake Shopify over HTTP, once every answer is new (cache_s 0) and
once the cache answers (the default 60 s). Then a whole catalog read (what training and the bot's product
questions need) of 600 products, through Link-header paging and one metafield call per product.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, List

from scripts.seed_shop import seed
from scripts.stack import BIN, ROOT, free_port, wait_http
from shop.platforms import CachedStore
from shop.platforms.shopify import ShopifyStore
from shop.repository import ShopRepository

TEA_DATA = ROOT / "demo_shops" / "teahouse" / "shopify.json"
TOKEN = "bench-token"
LOOKUPS = 300


def per_call_ms(call: Callable[[], object], n: int) -> float:
    times: List[float] = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def big_catalog(folder: Path, n: int) -> Path:
    data = json.loads(TEA_DATA.read_text(encoding="utf-8"))
    first = data["products"][0]
    data["products"] = [{**first, "id": 9_000_000 + i, "title": f"Tea {i}"} for i in range(n)]
    data["metafields"] = {str(9_000_000 + i): data["metafields"].get(str(first["id"]), []) for i in range(n)}
    path = folder / "catalog.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def serve_shopify(data: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([str(BIN / "python"), "-m", "fake_platforms.shopify", "--port", str(port), "--data",
                             str(data), "--token", TOKEN], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/health", 30, proc)
    return proc, url


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sql = ShopRepository.connect(f"sqlite:///{tmp}/shop.db")
        seed(f"sqlite:///{tmp}/shop.db")
        base = per_call_ms(lambda: sql.find_order("A10002"), LOOKUPS)
        proc, url = serve_shopify(TEA_DATA)
        big, big_url = serve_shopify(big_catalog(Path(tmp), 600))
        try:
            fresh = CachedStore(ShopifyStore.connect(url, TOKEN), fresh_s=0)
            cached = CachedStore(ShopifyStore.connect(url, TOKEN), fresh_s=60)
            uncached_ms = per_call_ms(lambda: fresh.find_order("#1003"), LOOKUPS)
            cached_ms = per_call_ms(lambda: cached.find_order("#1003"), LOOKUPS)
            sql_catalog_ms = per_call_ms(sql.products, 20)
            catalog_ms = per_call_ms(ShopifyStore.connect(big_url, TOKEN, max_wait_s=30).products, 3)
        finally:
            for p in (proc, big):
                p.terminate()
                p.wait(10)
    print(f"find_order, median of {LOOKUPS} (baseline: kefu SQL on SQLite, {base:.2f} ms = 1.00x)")
    print(f"  Shopify (fake, HTTP), every answer new:  {uncached_ms:8.2f} ms  {uncached_ms / base:8.1f}x")
    print(f"  Shopify, answered by the cache:          {cached_ms:8.4f} ms  {cached_ms / base:8.4f}x")
    print(f"catalog read (baseline: kefu SQL, 12 products, {sql_catalog_ms:.2f} ms = 1.00x)")
    print(f"  Shopify, 600 products (3 pages + 600 metafield calls): {catalog_ms:8.0f} ms "
          f"{catalog_ms / sql_catalog_ms:8.0f}x")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
