"""The shop.yml `alerts.rules`: from the figures they watch to a reading per alert (breached or not), and the
readings applied to the operator alerts (helpdesk/alerts.py), which fire once per breach and clear on recovery.

frt                      the oldest chat waiting for its first human reply has waited over frt_over_min, or the
                         chats first answered in the last frt_window_min averaged a first response over it
csat                     the last csat_last ratings average under csat_under (needs csat_last ratings)
queue_unattended         over queue_over chats waiting while no agent is online
agent_reminders:<agent>  the agent holds over agent_reminders_over chats reminded and still unanswered

The live figures come from Redis in one atomic look (helpdesk/lua/alert_figures.lua); the FRT average and the
CSAT come from the SQL record (helpdesk/record/alert_figures.py), read every alerts.record_every_s and kept in
Redis so every helpdesk process judges by the same numbers. Values and thresholds are in the rule's unit
(minutes for frt, a 1-5 rating for csat, chats for the others).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from typing import Dict, Iterable, List, Optional, Set

import redis

from helpdesk import keys
from helpdesk.alerts import OperatorAlerts
from helpdesk.scripts import LuaScripts
from shop.config import AlertRules

FRT = "frt"
CSAT = "csat"
QUEUE_UNATTENDED = "queue_unattended"
AGENT_REMINDERS = "agent_reminders"  # the alert of one agent: "agent_reminders:<agent id>"


def agent_reminders_alert(agent_id: str) -> str:
    return f"{AGENT_REMINDERS}:{agent_id}"


@dataclass(frozen=True)
class LiveFigures:
    """What Redis holds now (helpdesk/lua/alert_figures.lua)."""

    waiting: int  # chats waiting for an agent
    online: int  # agents online (away ones don't answer)
    oldest_unanswered_at: Optional[float]  # created_at of the oldest waiting or assigned chat with no human reply
    oldest_unanswered: str  # its conversation id
    reminded: Dict[str, int] = field(default_factory=dict)  # agent -> their chats reminded and still unanswered
    names: Dict[str, str] = field(default_factory=dict)  # agent -> name, for those agents


def read_live(scripts: LuaScripts) -> LiveFigures:
    waiting, online, oldest_at, oldest, *rest = scripts.run("alert_figures")
    reminded = {rest[i]: int(rest[i + 1]) for i in range(0, len(rest), 3)}
    names = {rest[i]: rest[i + 2] or rest[i] for i in range(0, len(rest), 3)}
    return LiveFigures(int(waiting), int(online), float(oldest_at) if oldest_at else None, oldest, reminded, names)


@dataclass(frozen=True)
class RecordFigures:
    """What the SQL record said when it was last read (helpdesk/record/alert_figures.py)."""

    checked_at: float
    frt_avg_s: Optional[float]  # average first response of the chats first answered in the window
    frt_count: int  # those chats
    csat_avg: Optional[float]  # average of the last csat_last ratings (fewer if there are fewer)
    csat_count: int  # those ratings


def store_record_figures(client: redis.Redis, figures: RecordFigures) -> None:
    client.hset(keys.ALERT_FIGURES, mapping={k: "" if v is None else repr(v) for k, v in asdict(figures).items()})


def load_record_figures(client: redis.Redis) -> Optional[RecordFigures]:
    """The figures last stored; None before the first read (or after Redis lost them)."""
    raw = client.hgetall(keys.ALERT_FIGURES)
    if not raw.get("checked_at"):
        return None
    kinds = {f.name: int if f.name.endswith("_count") else float for f in fields(RecordFigures)}
    return RecordFigures(**{name: kind(raw[name]) if raw.get(name) else None for name, kind in kinds.items()})


@dataclass(frozen=True)
class Reading:
    """One alert's state as the figures show it now; text says the figure and the threshold."""

    alert: str
    breached: bool
    text: str
    value: Optional[float]
    threshold: float


def _min(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else round(seconds / 60, 1)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _shown(minutes: Optional[float]) -> str:
    return "none" if minutes is None else f"{minutes:.1f} min"


def frt(live: LiveFigures, record: Optional[RecordFigures], rules: AlertRules, now: float) -> Reading:
    over, window = rules.frt_over_min, rules.frt_window_min
    waited = _min(max(0.0, now - live.oldest_unanswered_at)) if live.oldest_unanswered_at is not None else None
    average = _min(record.frt_avg_s) if record is not None else None
    said = []
    if waited is not None and waited > over:
        said.append(f"A chat ({live.oldest_unanswered}) has waited {waited:.1f} min for its first human reply.")
    if average is not None and average > over:
        said.append(f"First replies averaged {average:.1f} min over {_count(record.frt_count, 'chat')} first "
                    f"answered in the last {window:g} min.")  # fmt: skip
    value = max((v for v in (waited, average) if v is not None), default=None)
    if said:
        return Reading(FRT, True, " ".join(said) + f" Alert over {over:g} min.", value, over)
    text = (f"First replies are back under {over:g} min: the longest wait now {_shown(waited)}, "
            f"the last {window:g} min's average {_shown(average)}.")  # fmt: skip
    return Reading(FRT, False, text, value, over)


def csat(record: RecordFigures, rules: AlertRules) -> Reading:
    """Judged only on a full window: until there are csat_last ratings, one early bad rating alerts no one."""
    under, last = rules.csat_under, rules.csat_last
    avg = None if record.csat_avg is None else round(record.csat_avg, 2)
    if avg is not None and record.csat_count >= last and avg < under:
        return Reading(CSAT, True, f"CSAT averaged {avg:.2f} over the last {last} ratings. Alert under {under:g}.",
                       avg, under)  # fmt: skip
    shown = "no ratings yet" if avg is None else f"{avg:.2f} over the last {_count(record.csat_count, 'rating')}"
    return Reading(CSAT, False, f"CSAT is back at {shown} (alert under {under:g}).", avg, under)


def queue_unattended(live: LiveFigures, rules: AlertRules) -> Reading:
    over = rules.queue_over
    if live.online == 0 and live.waiting > over:
        text = f"{_count(live.waiting, 'chat')} waiting and no agent online. Alert over {over}."
        return Reading(QUEUE_UNATTENDED, True, text, live.waiting, over)
    if live.online:
        text = f"The queue is attended: {_count(live.online, 'agent')} online, {_count(live.waiting, 'chat')} waiting."
    else:
        text = f"The queue is down to {_count(live.waiting, 'chat')} waiting (alert over {over} with no agent online)."
    return Reading(QUEUE_UNATTENDED, False, text, live.waiting, over)


def agent_reminders(live: LiveFigures, rules: AlertRules, active: Iterable[str]) -> List[Reading]:
    """A reading for every agent past the limit, and one for each agent whose alert is active (to clear it)."""
    over = rules.agent_reminders_over
    agents = {a for a, n in live.reminded.items() if n > over}
    agents |= {name.partition(":")[2] for name in active if name.startswith(AGENT_REMINDERS + ":")}
    readings = []
    for agent_id in sorted(agents):
        count, who = live.reminded.get(agent_id, 0), live.names.get(agent_id, agent_id)
        if count > over:
            text = f"{who} ({agent_id}) has {_count(count, 'reminded chat')} still unanswered. Alert over {over}."
        else:
            text = f"{who} ({agent_id}) is down to {_count(count, 'reminded chat')} unanswered (alert over {over})."
        readings.append(Reading(agent_reminders_alert(agent_id), count > over, text, count, over))
    return readings


def evaluate(live: LiveFigures, record: Optional[RecordFigures], rules: AlertRules, now: float,
             active: Iterable[str] = ()) -> List[Reading]:  # fmt: skip
    """Every rule's reading. Without record figures (never read yet) the CSAT rule is left as it is."""
    readings = [frt(live, record, rules, now), queue_unattended(live, rules)]
    if record is not None:
        readings.append(csat(record, rules))
    return readings + agent_reminders(live, rules, active)


def apply(alerts: OperatorAlerts, readings: List[Reading], active: Set[str]) -> Counter:
    """Raise the breached alerts (only a new breach fires), clear the recovered ones that are active.
    Returns the count of alerts fired and cleared by this call."""
    done: Counter = Counter()
    for r in readings:
        if r.breached:
            state = alerts.raise_alert(r.alert, r.text, r.value, r.threshold)
        elif r.alert in active:
            state = alerts.clear(r.alert, r.text, r.value, r.threshold)
        else:
            continue
        if state in ("firing", "cleared"):
            done[f"alert_{state}"] += 1
    return done
