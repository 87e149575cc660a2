"""Create and fill the demo shop database.

    python -m scripts.seed_shop [--url URL] [--orders 300] [--reset]

Ten well-known orders (A10001-A10010, below) cover every state the tests and the README
talk about; the rest are random but reproducible (fixed seed), dated relative to now so
return windows and shipping times always make sense.
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta
from typing import Dict, List, Optional

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from shop.db import make_engine
from shop.models import (
    Base,
    Coupon,
    Customer,
    Order,
    OrderItem,
    Payment,
    Product,
    ReturnRequest,
    Shipment,
)
from shop.settings import Settings

CLOTHES_CHART = {
    "XS": {"height": [150, 158], "weight": [40, 46]},
    "S": {"height": [155, 163], "weight": [45, 52]},
    "M": {"height": [160, 168], "weight": [50, 58]},
    "L": {"height": [165, 173], "weight": [56, 65]},
    "XL": {"height": [170, 178], "weight": [63, 73]},
    "XXL": {"height": [175, 188], "weight": [70, 88]},
}
SHOE_CHART = {str(eu): {"foot_cm": [22.0 + (eu - 36) * 0.5, 22.5 + (eu - 36) * 0.5]} for eu in range(36, 45)}
ONE_SIZE = {"F": {}}

# sku, en, zh, category, price, material en, material zh, colours, chart
CATALOG = [
    (
        "LS-01",
        "Linen Shirt",
        "亚麻衬衫",
        "tops",
        39.0,
        "100% linen, breathable, machine wash cold",
        "100%亚麻,透气,冷水机洗",
        ["white", "beige", "navy"],
        CLOTHES_CHART,
    ),
    (
        "FD-02",
        "Floral Midi Dress",
        "碎花连衣裙",
        "dresses",
        59.0,
        "100% viscose with cotton lining, not see-through",
        "100%粘胶纤维,棉质内衬,不透",
        ["pink", "blue", "green"],
        CLOTHES_CHART,
    ),
    (
        "CT-03",
        "Cotton T-shirt",
        "纯棉T恤",
        "tops",
        19.0,
        "100% combed cotton, 180 g/m², pre-shrunk",
        "100%精梳棉,180克重,已预缩",
        ["black", "white", "grey", "red"],
        CLOTHES_CHART,
    ),
    (
        "SJ-04",
        "Slim Fit Jeans",
        "修身牛仔裤",
        "bottoms",
        49.0,
        "98% cotton 2% elastane stretch denim",
        "98%棉 2%氨纶弹力牛仔布",
        ["blue", "black"],
        CLOTHES_CHART,
    ),
    (
        "WC-05",
        "Wool Cardigan",
        "羊毛开衫",
        "knitwear",
        79.0,
        "70% merino wool 30% nylon, hand wash",
        "70%美利奴羊毛 30%锦纶,建议手洗",
        ["beige", "grey", "navy"],
        CLOTHES_CHART,
    ),
    (
        "DJ-06",
        "Denim Jacket",
        "牛仔外套",
        "outerwear",
        69.0,
        "100% cotton denim, stone washed",
        "100%纯棉牛仔布,石洗工艺",
        ["blue"],
        CLOTHES_CHART,
    ),
    (
        "RS-07",
        "Running Sneakers",
        "跑步鞋",
        "shoes",
        89.0,
        "knit mesh upper, EVA sole",
        "针织网面鞋面,EVA鞋底",
        ["white", "black", "pink"],
        SHOE_CHART,
    ),
    (
        "SS-08",
        "Silk Scarf",
        "真丝围巾",
        "accessories",
        29.0,
        "100% mulberry silk, dry clean",
        "100%桑蚕丝,建议干洗",
        ["red", "navy", "beige"],
        ONE_SIZE,
    ),
    (
        "LU-09",
        "Lace Underwear Set",
        "蕾丝内衣套装",
        "underwear",
        35.0,
        "nylon lace, cotton gusset",
        "锦纶蕾丝,纯棉裆部",
        ["black", "pink", "white"],
        CLOTHES_CHART,
    ),
    (
        "TB-10",
        "Canvas Tote Bag",
        "帆布包",
        "bags",
        25.0,
        "16 oz cotton canvas",
        "16盎司纯棉帆布",
        ["beige", "black"],
        ONE_SIZE,
    ),
    (
        "FH-11",
        "Fleece Hoodie",
        "连帽卫衣",
        "tops",
        45.0,
        "80% cotton 20% polyester brushed fleece",
        "80%棉 20%涤纶,内里抓绒",
        ["grey", "black", "green", "pink"],
        CLOTHES_CHART,
    ),
    (
        "PS-12",
        "Pleated Skirt",
        "百褶裙",
        "bottoms",
        42.0,
        "100% polyester, wrinkle-free",
        "100%涤纶,抗皱",
        ["black", "navy", "beige"],
        CLOTHES_CHART,
    ),
]

# the short names buyers use for each product, by SKU (the bot also knows every full name)
ALIASES = {
    "LS-01": ["linen shirt", "linen", "shirt", "衬衫", "亚麻"],
    "FD-02": ["floral dress", "midi dress", "dress", "连衣裙", "碎花裙"],
    "CT-03": ["t-shirt", "tshirt", "tee", "t恤", "短袖"],
    "SJ-04": ["jeans", "denim pants", "牛仔裤"],
    "WC-05": ["cardigan", "sweater", "开衫", "毛衣"],
    "DJ-06": ["denim jacket", "jacket", "牛仔外套", "外套"],
    "RS-07": ["sneakers", "running shoes", "shoes", "跑鞋", "鞋"],
    "SS-08": ["silk scarf", "scarf", "围巾", "丝巾"],
    "LU-09": ["underwear", "lingerie", "bra", "内衣"],
    "TB-10": ["tote bag", "tote", "bag", "帆布包"],
    "FH-11": ["hoodie", "sweatshirt", "卫衣"],
    "PS-12": ["pleated skirt", "skirt", "百褶裙", "半身裙"],
}

# code, kind, value, minimum spend, valid from / until (days from now)
COUPONS = [
    ("SAVE10", "amount", 10, 50, -30, 30),
    ("SAVE25", "amount", 25, 100, -30, 30),
    ("WELCOME15", "percent", 15, 0, -90, 180),
    ("SUMMER20", "percent", 20, 0, -160, -70),  # expired
    ("NEWYEAR30", "amount", 30, 150, 30, 45),  # not started yet
]
REGIONS = ["domestic"] * 7 + ["canada"] * 2 + ["international"]
FIRST = ["Emma", "Olivia", "Ava", "Mia", "Noah", "Liam", "Sophia", "Grace", "Wei", "Xin", "Jing", "Hao", "Yan", "Min"]
LAST = ["Smith", "Johnson", "Brown", "Garcia", "Wang", "Li", "Zhang", "Liu", "Chen", "Nguyen", "Kim", "Lopez"]
CITIES = [
    "Austin, TX",
    "Seattle, WA",
    "Miami, FL",
    "Denver, CO",
    "Toronto, ON",
    "London, UK",
    "Sydney, AU",
    "Chicago, IL",
]


def _stock(rng: random.Random, colours: List[str], chart: Dict) -> Dict[str, Dict[str, int]]:
    return {c: {size: rng.choice([0, 2, 5, 12, 30]) for size in chart} for c in colours}


def _tracking_no(order_id: int) -> str:
    return f"SP{order_id:09d}"


def _add_order(
    s: Session,
    *,
    number: str,
    customer: Customer,
    product: Product,
    status: str,
    created: datetime,
    now: datetime,
    region: str = "domestic",
    size: str = "M",
    colour: Optional[str] = None,
    failure: Optional[str] = None,
    carrier: str = "SwiftParcel",
) -> Order:
    order = Order(
        number=number,
        customer=customer,
        status=status,
        region=region,
        address=f"{int(number[1:]) % 900 + 100} Market St, {CITIES[int(number[1:]) % len(CITIES)]}",
        total=product.price,
        created_at=created,
    )
    s.add(order)
    s.add(
        OrderItem(
            order=order,
            product=product,
            colour=colour or product.colours[0],
            size=size,
            quantity=1,
            unit_price=product.price,
        )
    )
    if failure:
        s.add(
            Payment(
                order=order,
                method="card",
                status="failed",
                failure_reason=failure,
                amount=product.price,
                created_at=created + timedelta(minutes=2),
            )
        )
    if status == "unpaid":
        return order
    order.paid_at = created + timedelta(minutes=5)
    s.add(Payment(order=order, method="card", status="succeeded", amount=product.price, created_at=order.paid_at))
    if status in ("paid", "cancelled"):
        return order
    order.shipped_at = created + timedelta(hours=30)
    delivered = status in ("delivered", "return_requested", "refunded")
    days = {"domestic": 4, "canada": 6, "international": 10}[region]
    if delivered:
        order.delivered_at = order.shipped_at + timedelta(days=days)
    s.flush()
    s.add(
        Shipment(
            order=order,
            carrier=carrier,
            tracking_no=_tracking_no(order.id),
            last_status="delivered" if delivered else "in_transit",
            last_location=CITIES[order.id % len(CITIES)],
            last_event_at=order.delivered_at or order.shipped_at + timedelta(hours=12),
            eta=order.shipped_at + timedelta(days=days),
        )
    )
    if status == "return_requested":
        s.add(
            ReturnRequest(
                order=order, kind="return", status="requested", reason="too small", created_at=now - timedelta(hours=6)
            )
        )
    if status == "refunded":
        s.add(
            ReturnRequest(
                order=order,
                kind="return",
                status="refunded",
                reason="changed mind",
                created_at=now - timedelta(days=6),
                refunded_at=now - timedelta(days=3),
                refund_amount=product.price,
            )
        )
    return order


def _add_new_columns(engine) -> None:
    """A database made before products had aliases gets the column (create_all adds only tables)."""
    if "aliases" not in {c["name"] for c in inspect(engine).get_columns("products")}:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE products ADD COLUMN aliases JSON NOT NULL DEFAULT '[]'"))


def seed(url: str, *, now: Optional[datetime] = None, orders: int = 300, reset: bool = False) -> None:
    """Create the schema and the demo shop. With reset, drop everything first."""
    now = (now or datetime.utcnow()).replace(microsecond=0)
    rng = random.Random(20261123)
    engine = make_engine(url)
    if reset:
        Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    _add_new_columns(engine)
    with Session(engine) as s, s.begin():
        if s.query(Order).count():
            return  # already seeded: seeding is idempotent without --reset
        products = [
            Product(
                sku=sku,
                name_en=en,
                name_zh=zh,
                category=cat,
                price=price,
                material_en=men,
                material_zh=mzh,
                colours=colours,
                size_chart=chart,
                stock=_stock(rng, colours, chart),
                aliases=ALIASES.get(sku, []),
            )
            for sku, en, zh, cat, price, men, mzh, colours, chart in CATALOG
        ]
        s.add_all(products)
        by_sku = {p.sku: p for p in products}
        lily = Customer(
            name="Lily Chen", email="lily.chen@example.com", phone="13812345678", vip=False, channel_id="mkt-buyer-1001"
        )
        james = Customer(
            name="James Miller",
            email="james.miller@example.com",
            phone="415-555-0132",
            vip=True,
            channel_id="mkt-buyer-1002",
        )
        customers = [lily, james] + [
            Customer(
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                email=f"buyer{i:03d}@example.com",
                phone=f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
                vip=rng.random() < 0.1,
                channel_id=f"mkt-buyer-{2000 + i}",
            )
            for i in range(60)
        ]
        s.add_all(customers)
        d = lambda days: now - timedelta(days=days)  # noqa: E731
        # The well-known orders: one per situation the bot must handle.
        known = [
            ("A10001", lily, "FD-02", "delivered", d(6), "domestic", "M", "pink", None),  # returnable
            ("A10002", lily, "LS-01", "shipped", d(2), "domestic", "L", None, None),  # in transit
            ("A10003", lily, "CT-03", "unpaid", d(0.2), "domestic", "S", None, "bank_declined"),
            ("A10004", james, "SJ-04", "delivered", d(25), "domestic", "L", None, None),  # window passed
            ("A10005", james, "LU-09", "delivered", d(6), "domestic", "M", None, None),  # non-returnable
            ("A10006", james, "WC-05", "paid", d(0.4), "canada", "XL", None, None),  # not yet shipped
            ("A10007", lily, "PS-12", "cancelled", d(9), "domestic", "S", None, None),
            ("A10008", james, "FH-11", "return_requested", d(8), "domestic", "L", None, None),
            ("A10009", lily, "DJ-06", "refunded", d(15), "domestic", "M", None, None),
            ("A10010", james, "RS-07", "shipped", d(4), "international", "42", "white", None),
        ]
        for number, cust, sku, status, created, region, size, colour, failure in known:
            _add_order(
                s,
                number=number,
                customer=cust,
                product=by_sku[sku],
                status=status,
                created=created,
                now=now,
                region=region,
                size=size,
                colour=colour,
                failure=failure,
            )
        weights = {
            "unpaid": 4,
            "paid": 10,
            "shipped": 25,
            "delivered": 45,
            "cancelled": 5,
            "return_requested": 5,
            "refunded": 6,
        }
        for i in range(len(known) + 1, orders + 1):
            status = rng.choices(list(weights), weights=list(weights.values()))[0]
            product = rng.choice(products)
            age = {"unpaid": 0.3, "paid": 1, "shipped": 3}.get(status, rng.uniform(5, 40))
            failure = (
                rng.choice(["insufficient_funds", "bank_declined", "address_mismatch", "expired_card", "3ds_failed"])
                if status == "unpaid" or rng.random() < 0.05
                else None
            )
            _add_order(
                s,
                number=f"A{10000 + i}",
                customer=rng.choice(customers),
                product=product,
                status=status,
                created=now - timedelta(days=age * rng.uniform(0.8, 1.2)),
                now=now,
                region=rng.choice(REGIONS),
                size=rng.choice(list(product.size_chart)),
                colour=rng.choice(product.colours),
                failure=failure,
            )
        s.add_all(
            Coupon(
                code=code,
                kind=kind,
                value=value,
                min_spend=min_spend,
                starts_at=now + timedelta(days=start),
                ends_at=now + timedelta(days=stop),
            )
            for code, kind, value, min_spend, start, stop in COUPONS
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=None, help="SQLAlchemy URL (default: DATABASE_URL or var/shop.db)")
    ap.add_argument("--orders", type=int, default=300)
    ap.add_argument("--reset", action="store_true", help="drop and recreate every table first")
    args = ap.parse_args()
    url = args.url or Settings.from_env().database_url
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    seed(url, orders=args.orders, reset=args.reset)
    print(f"shop database ready: {url.split('@')[-1]}")


if __name__ == "__main__":
    main()
