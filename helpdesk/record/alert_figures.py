"""The alert rules' figures that only the SQL record holds (helpdesk/alert_rules.py judges them): the average
first response of the chats first answered lately, and the last ratings. Two small queries, run every
shop.yml alerts.record_every_s by one helpdesk process (helpdesk/record/alert_watch.py)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk.alert_rules import RecordFigures
from helpdesk.record.models import Handoff
from shop.config import AlertRules


def record_figures(session: Session, now: float, rules: AlertRules) -> RecordFigures:
    since = now - rules.frt_window_min * 60
    frt_avg, frt_count = session.execute(
        select(func.avg(Handoff.first_reply_at - Handoff.created_at), func.count()).where(
            Handoff.first_reply_at >= since
        )
    ).one()
    ratings = (
        session.execute(
            select(Handoff.rating)
            .where(Handoff.rating.is_not(None))
            .order_by(Handoff.resolved_at.desc(), Handoff.id.desc())
            .limit(rules.csat_last)
        )
        .scalars()
        .all()
    )
    csat_avg = sum(ratings) / len(ratings) if ratings else None
    return RecordFigures(now, None if frt_avg is None else float(frt_avg), int(frt_count), csat_avg, len(ratings))
