"""What the supervisors' routes (reports, QA report, staffing, metrics) share: who may read them, and their
query parameters given at most once, with the period ?from=&to= in days of the shop's time zone."""

from __future__ import annotations

from typing import Optional
from zoneinfo import ZoneInfo

from sanic import Request

from helpdesk.reports.period import Period, PeriodError, parse_period
from helpdesk.web.errors import ApiError
from helpdesk.web.resources import hd


def supervisor_only(request: Request, what: str) -> None:
    """A console login must be a supervisor's; the service token (no login) may read it."""
    login = getattr(request.ctx, "login", None)
    if login is not None and login.role != "supervisor":
        raise ApiError("not_supervisor", f"only a supervisor's login (or the service token) may read {what}")


def one_arg(request: Request, name: str, error: str) -> Optional[str]:
    """The query parameter, given at most once (None: absent); twice is the error `error`."""
    given = request.get_args(keep_blank_values=True).getlist(name) or []
    if len(given) > 1:
        raise ApiError(error, f"give '{name}' once")
    return given[0] if given else None


def period_of(request: Request) -> Period:
    """?from=&to= (bad_period when they are not dates, in the wrong order or too far apart)."""
    res = hd(request)
    try:
        return parse_period(one_arg(request, "from", "bad_period"), one_arg(request, "to", "bad_period"),
                            ZoneInfo(res.cfg.shop.timezone), res.desk.clock())  # fmt: skip
    except PeriodError as exc:
        raise ApiError("bad_period", str(exc)) from None
