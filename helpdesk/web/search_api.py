"""GET /search: the console's search box and its History (helpdesk/record/search.py), for every console login and
the service token, like the inbox. ?q= (1..MAX_SEARCH_TEXT characters after trimming, no control characters),
?from= ?to= (YYYY-MM-DD, inclusive, days of the shop's time zone; either may be left out), ?state= ?channel=,
?page= (1..500) and ?per_page= (1..100, default 20), each at most once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from helpdesk.record.search import MAX_PAGE, MAX_PER_PAGE, STATES, SearchQuery, search
from helpdesk.web.errors import ApiError
from helpdesk.web.resources import blocking, hd
from helpdesk.web.supervising import one_arg
from shop import formats

bp = Blueprint("search")
PARAMETERS = ("q", "state", "channel", "page", "per_page")


def _day_start(text: Optional[str], name: str, tz: ZoneInfo, days_after: int = 0) -> Optional[float]:
    """The start of the day (plus days_after) in the shop's time zone, as Unix s; None when not given."""
    if text is None or text == "":
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ApiError("bad_period", f"'{name}' must be a date such as 2026-11-30, not {text[:40]!r}") from None
    return datetime.combine(day + timedelta(days=days_after), time(), tz).timestamp()


def _number(raw: Optional[str], name: str, default: int, top: int) -> int:
    raw = raw or str(default)
    if not raw.isdigit() or not 1 <= int(raw) <= top:
        raise ApiError("bad_field", f"{name} must be a whole number from 1 to {top}")
    return int(raw)


def search_query(request: Request, tz: ZoneInfo) -> SearchQuery:
    given = {name: one_arg(request, name, "bad_field") for name in PARAMETERS}
    text = " ".join((given["q"] or "").split())
    if len(text) > formats.MAX_SEARCH_TEXT or formats.CONTROL_CHARS.search(text):
        raise ApiError("bad_field", f"q must have at most {formats.MAX_SEARCH_TEXT} characters, none a control one")
    state, channel = given["state"] or "", given["channel"] or ""
    if state not in ("", *STATES):
        raise ApiError("bad_field", f"state must be one of {', '.join(STATES)}")
    if len(channel) > formats.MAX_LABEL:
        raise ApiError("bad_field", f"channel has at most {formats.MAX_LABEL} characters")
    start = _day_start(one_arg(request, "from", "bad_period"), "from", tz)
    end = _day_start(one_arg(request, "to", "bad_period"), "to", tz, days_after=1)
    if start is not None and end is not None and start >= end:
        raise ApiError("bad_period", "'from' is after 'to'")
    page = _number(given["page"], "page", 1, MAX_PAGE)
    per_page = _number(given["per_page"], "per_page", 20, MAX_PER_PAGE)
    return SearchQuery(text, start, end, state, channel, page, per_page)


@bp.get("/search")
async def search_route(request: Request) -> HTTPResponse:
    res = hd(request)
    query = search_query(request, ZoneInfo(res.cfg.shop.timezone))
    found = await blocking(search, res.record, res.tracker, query, res.cfg.formats.order_numbers)
    return json(found)
