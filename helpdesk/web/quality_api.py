"""The quality check of agent replies on the web side: writing what it found into the SQL record (the reply route
in api.py calls record_findings), and GET /reports/quality, the QA report (helpdesk/reports/quality.py) for
supervisors: ?from=&to= days of the shop's time zone (default: the last 7). A console login must be a
supervisor's; the service token may read it. The SQL runs on a worker thread.
"""

from __future__ import annotations

import logging
from typing import List

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from helpdesk.quality import Finding
from helpdesk.record.models import QaFinding
from helpdesk.reports.quality import quality_report
from helpdesk.web.resources import blocking, hd
from helpdesk.web.supervising import period_of, supervisor_only

log = logging.getLogger(__name__)
bp = Blueprint("quality")


def record_findings(record: sessionmaker, cid: str, agent_id: str, at: float, findings: List[Finding]) -> None:
    """One QaFinding row per rule broken. A record that is down loses them (logged) rather than the reply: a warned
    reply has gone out already, and a blocked one must still be refused as blocked."""
    if not findings:
        return
    rows = [QaFinding(at=at, agent=agent_id, conversation_id=cid, rule=f.rule, action=f.action, excerpt=f.excerpt)
            for f in findings]  # fmt: skip
    try:
        with record.begin() as session:
            session.add_all(rows)
    except SQLAlchemyError as exc:
        log.error("QA findings of %s in %s not recorded: %s", agent_id, cid, exc.__class__.__name__)


@bp.get("/reports/quality")
async def quality(request: Request) -> HTTPResponse:
    supervisor_only(request, "the QA report")
    res = hd(request)
    period = period_of(request)
    return json(await blocking(quality_report, res.record, res.cfg, period))
