"""The QA report (GET /reports/quality): what the quality check of agent replies (helpdesk/quality.py) found in
a period, by agent and by rule, and the latest findings. Counted by aggregate queries grouped in SQL.

One checked reply that breaks several rules is one QaFinding row per rule, all with the same time, agent and
conversation: so an agent's `blocked` counts the replies that were not sent (one or more block findings) and
`warned` those sent with warnings only, while `by_rule` counts findings.
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.quality import RULES
from helpdesk.record.models import HandoffEvent, QaFinding
from helpdesk.reports.period import Period
from shop.config import ShopConfig

RECENT = 50  # the latest findings listed


def quality_report(record: sessionmaker, cfg: ShopConfig, period: Period) -> Dict[str, Any]:
    in_period = (QaFinding.at >= period.start, QaFinding.at < period.end)
    with record() as session:
        replies = _replies(session, period)
        outcomes = _outcomes(session, in_period)
        per_agent = select(QaFinding.agent, QaFinding.rule, func.count()).where(*in_period)
        by_agent_rule = session.execute(per_agent.group_by(QaFinding.agent, QaFinding.rule)).all()
        per_rule = select(QaFinding.rule, func.count()).where(*in_period).group_by(QaFinding.rule)
        by_rule = dict(session.execute(per_rule).all())
        recent = session.scalars(
            select(QaFinding).where(*in_period).order_by(QaFinding.at.desc(), QaFinding.id.desc()).limit(RECENT)
        ).all()
        latest = [{"at": f.at, "agent": f.agent, "conversation_id": f.conversation_id, "rule": f.rule,
                   "action": f.action, "excerpt": f.excerpt} for f in recent]  # fmt: skip
    names = {a.id: a.name for a in cfg.helpdesk.chat_agents}
    rules_of: Dict[str, Dict[str, int]] = {}
    for agent, rule, count in by_agent_rule:
        rules_of.setdefault(agent, {})[rule] = count
    agents = sorted(set(names) | set(replies) | set(outcomes))
    rows = [
        {
            "agent": agent,
            "name": names.get(agent, agent),
            "replies": replies.get(agent, 0),
            "blocked": outcomes.get(agent, (0, 0))[0],
            "warned": outcomes.get(agent, (0, 0))[1],
            "by_rule": rules_of.get(agent, {}),
        }
        for agent in agents
    ]
    rows.sort(key=lambda r: (-(r["blocked"] + r["warned"]), r["agent"]))  # the most to talk about first
    actions = cfg.quality.rules
    return {
        "period": period.as_dict(),
        "by_agent": rows,
        "by_rule": [
            {"rule": rule, "action": getattr(actions, rule), "count": by_rule.get(rule, 0), "label": label}
            for rule, label in RULES.items()
        ],  # fmt: skip
        "recent": latest,
    }


def _replies(session: Session, period: Period) -> Dict[str, int]:
    """Every message each agent sent in the period (the "message" events)."""
    q = (
        select(HandoffEvent.agent, func.count())
        .where(HandoffEvent.kind == "message", HandoffEvent.at >= period.start, HandoffEvent.at < period.end)
        .group_by(HandoffEvent.agent)
    )
    return {agent: count for agent, count in session.execute(q).all() if agent}


def _outcomes(session: Session, in_period: Tuple) -> Dict[str, Tuple[int, int]]:
    """agent -> (replies blocked, replies sent with warnings): the findings of one checked reply share their time."""
    blocked = func.max(case((QaFinding.action == "block", 1), else_=0)).label("blocked")
    replies = (
        select(QaFinding.agent.label("agent"), blocked)
        .where(*in_period)
        .group_by(QaFinding.agent, QaFinding.conversation_id, QaFinding.at)
        .subquery()
    )
    q = select(replies.c.agent, func.sum(replies.c.blocked), func.count()).group_by(replies.c.agent)
    out: Dict[str, Tuple[int, int]] = {}
    for agent, n_blocked, n in session.execute(q).all():
        out[agent] = (int(n_blocked or 0), int(n) - int(n_blocked or 0))
    return out
