"""GET /reports' answer: a period's figures, counted exactly from the record (figures.py) or, for a period longer
than shop.yml reports.exact_days, from the daily rollups of its settled days (rollup.py)."""

from __future__ import annotations

from typing import Any, Dict, Optional

from sqlalchemy.orm import sessionmaker

from helpdesk.reports import rollup
from helpdesk.reports.conversion import OrderLookup
from helpdesk.reports.figures import GROUP_BY, exact_report
from helpdesk.reports.period import Period
from shop.config import ShopConfig

__all__ = ["GROUP_BY", "report"]


def report(record: sessionmaker, cfg: ShopConfig, period: Period, group_by: str,
           orders: Optional[OrderLookup] = None, now: Optional[float] = None) -> Dict[str, Any]:  # fmt: skip
    """The figures of the period, in total and per group_by (one of GROUP_BY). orders: the shop's orders for the
    conversion figure (ShopStore.orders_placed); None, or a store that cannot list them, makes it null. now (default
    the wall clock) decides which days are settled."""
    if group_by not in GROUP_BY:
        raise ValueError(f"group_by must be one of {', '.join(GROUP_BY)}")
    if period.days > cfg.reports.exact_days:
        return rollup.report(record, cfg, period, group_by, orders, now)
    return exact_report(record, cfg, period, group_by, orders)
