"""Percentiles (and means) of a value per group and over all rows, in one query; the one place percentiles are
computed. PostgreSQL: percentile_cont in the query, the groups and the total at once (GROUPING SETS). Elsewhere
(SQLite has no percentile function) the values are fetched and interpolated the same way here.

percentile_cont(p) over n sorted values v[0..n-1] is v at rank p*(n-1), linearly interpolated between the two
values around it; NULL values are left out, and a group with none has no percentile (None).
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

MEAN = "mean"
Stat = Union[float, str]  # p in 0..1, or MEAN
Wanted = Sequence[Tuple[ColumnElement, Stat]]
Found = List[Optional[float]]  # one number per wanted statistic


def interpolated(ordered: Sequence[float], p: float) -> Optional[float]:
    """percentile_cont(p) of values sorted ascending."""
    if not ordered:
        return None
    rank = p * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def statistics(session: Session, key: Optional[ColumnElement], wanted: Wanted, source: Any,
               *where: ColumnElement) -> Tuple[Found, Dict[Any, Found]]:  # fmt: skip
    """(over all rows, {group key: per group}) of the rows of `source` that `where` keeps; key None: no groups."""
    if session.get_bind().dialect.name == "postgresql":
        return _in_postgres(session, key, wanted, source, where)
    values: List[ColumnElement] = []  # each value fetched once (by identity: == on a column builds SQL)
    column_of: Dict[int, int] = {}
    for value, _ in wanted:
        if id(value) not in column_of:
            column_of[id(value)] = len(values)
            values.append(value)
    keyed = [key.label("k")] if key is not None else []
    total: List[List[float]] = [[] for _ in values]
    groups: Dict[Any, List[List[float]]] = {}
    for row in session.connection().execute(select(*keyed, *values).select_from(source).where(*where)):
        lists = groups.setdefault(row[0], [[] for _ in values]) if key is not None else None
        for i, v in enumerate(row[len(keyed) :]):
            if v is not None:
                total[i].append(float(v))
                if lists is not None:
                    lists[i].append(float(v))

    def computed(lists: List[List[float]]) -> Found:
        for each in lists:
            each.sort()
        return [_stat(lists[column_of[id(value)]], stat) for value, stat in wanted]

    return computed(total), {k: computed(lists) for k, lists in groups.items()}


def _stat(ordered: List[float], stat: Stat) -> Optional[float]:
    if stat == MEAN:
        return sum(ordered) / len(ordered) if ordered else None
    return interpolated(ordered, float(stat))


def _in_postgres(session: Session, key: Optional[ColumnElement], wanted: Wanted, source: Any,
                 where: Sequence[ColumnElement]) -> Tuple[Found, Dict[Any, Found]]:  # fmt: skip
    columns = [func.avg(value) if stat == MEAN else func.percentile_cont(stat).within_group(value)
               for value, stat in wanted]  # fmt: skip
    stmt = select(*columns).select_from(source).where(*where)
    if key is None:
        row = session.connection().execute(stmt).one()
        return [_number(v) for v in row], {}
    # one pass for the groups and the total: the grouping set () is the total, which grouping(key) marks with 1
    stmt = stmt.add_columns(key.label("k"), func.grouping(key).label("is_total"))
    total: Found = [None] * len(wanted)
    groups: Dict[Any, Found] = {}
    for *found, k, is_total in session.connection().execute(stmt.group_by(func.grouping_sets(key, tuple_()))):
        numbers = [_number(v) for v in found]
        if is_total:
            total = numbers
        else:
            groups[k] = numbers
    return total, groups


def _number(v: Any) -> Optional[float]:
    return None if v is None else float(v)
