"""Turn prices, policy events and catalysts into firings: pure, no database, no network.

Each firing has a key that names exactly what fired (rule, symbol, trading date or event id):
the outbox stores keys, so a re-run never fires the same thing twice. Price rules look at each
symbol's latest session only (a cron run after each refresh sees every new close once).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

import numpy as np
import pandas as pd

from lib.alerts.rules import Rule, describe
from lib.markets.links import prices_url
from lib.prices.calendar import last_expected_session
from lib.prices.quality import return_basis


@dataclass(frozen=True)
class Firing:
    """One thing that happened, in words, with the view that shows it."""

    key: str
    rule_id: int
    owner: str
    watchlist: str
    kind: str
    symbol: str
    when: str  # ISO date of the session, event or catalyst
    text: str
    link: str  # app path + query, joined to the configured base_url by the message
    source_url: str = ""
    title: str = ""  # an event's or catalyst's title (untrusted text: escaped in HTML)


@dataclass
class _Series:
    dates: np.ndarray  # datetime64[D], ascending
    adj: np.ndarray  # returns basis (NaN across breaks)
    close: np.ndarray  # quoted level (traded close, else adjusted)


class PriceIndex:
    """Per-symbol arrays built once per run, shared by every rule (10,000 rules stay cheap)."""

    def __init__(self, prices: pd.DataFrame, exchange_of: Mapping[str, str] | None = None):
        self._series: dict[str, _Series] = {}
        if not prices.empty:
            tidy = return_basis(prices.sort_values(["symbol", "date"]))
            close = tidy["close"].where(tidy["close"].notna(), tidy["adj_close"])
            for sym, idx in tidy.groupby("symbol", sort=False).indices.items():
                rows = tidy.iloc[idx]
                self._series[str(sym)] = _Series(
                    rows["date"].to_numpy("datetime64[D]"),
                    rows["adj_close"].to_numpy(float),
                    close.iloc[idx].to_numpy(float),
                )
        # The sessions each exchange traded, from every symbol listed there.
        self._sessions: dict[str, np.ndarray] = {}
        by_exchange: dict[str, list[np.ndarray]] = {}
        for sym, s in self._series.items():
            ex = (exchange_of or {}).get(sym)
            if ex:
                by_exchange.setdefault(ex, []).append(s.dates)
        for ex, parts in by_exchange.items():
            self._sessions[ex] = np.unique(np.concatenate(parts))
        self._exchange_of = dict(exchange_of or {})
        self._missed: dict[tuple[str, date], tuple[int, str] | None] = {}

    def get(self, symbol: str) -> _Series | None:
        return self._series.get(symbol)

    def missed_sessions(self, symbol: str, today: date) -> tuple[int, str] | None:
        """(sessions without a close since the symbol's last one, that last date).

        Sessions are the days its exchange traded as its other listings show them, then
        weekdays after the latest of those up to the last session that should have closed
        (holidays beyond our data are not known, so they count).
        """
        key = (symbol, today)
        if key not in self._missed:
            self._missed[key] = self._count_missed(symbol, today)
        return self._missed[key]

    def _count_missed(self, symbol: str, today: date) -> tuple[int, str] | None:
        s = self._series.get(symbol)
        if s is None or not len(s.dates):
            return None
        last = s.dates[-1]
        sessions = self._sessions.get(self._exchange_of.get(symbol, ""))
        seen = sessions[sessions > last] if sessions is not None else sessions
        n = 0 if seen is None else len(seen)
        since = seen[-1] if seen is not None and len(seen) else last
        end = np.datetime64(last_expected_session(today), "D")
        if end > since:
            n += int(np.busday_count(since + np.timedelta64(1, "D"), end + np.timedelta64(1, "D")))
        return n, str(last)


def _move(change: float, pct: float, direction: str) -> bool:
    if not np.isfinite(change):
        return False
    limit = pct / 100.0
    if direction == "up":
        return change >= limit
    if direction == "down":
        return change <= -limit
    return abs(change) >= limit


@functools.lru_cache(maxsize=4096)
def _prices_link(symbol: str, range_key: str = "1M") -> str:
    return prices_url([symbol], range_key=range_key)


def evaluate(
    rules: Sequence[Rule],
    prices: PriceIndex,
    events: pd.DataFrame,
    catalysts: pd.DataFrame,
    today: date,
) -> list[Firing]:
    """Every firing the rules ask for now (the outbox drops keys that already fired)."""
    out: list[Firing] = []
    ev_rows = _by_symbol(_event_rows(events))
    cat_rows = _by_symbol(_catalyst_rows(catalysts))
    for rule in rules:
        head = describe(rule.kind, rule.params)
        if rule.kind == "policy_event":
            out.extend(_policy(rule, ev_rows, head))
            continue
        if rule.kind == "catalyst_due":
            out.extend(_catalysts(rule, cat_rows, today, head))
            continue
        for sym in rule.symbols:
            hit = _price_check(rule, sym, prices, today, head)
            if hit is not None:
                key, when, text, link = hit
                out.append(
                    Firing(
                        key,
                        rule.id,
                        rule.owner,
                        rule.watchlist_name,
                        rule.kind,
                        sym,
                        when,
                        text,
                        link,
                    )
                )
    return out


def _price_check(
    rule: Rule, sym: str, prices: PriceIndex, today: date, head: str
) -> tuple[str, str, str, str] | None:
    """(key, date, text, link) when a price rule fires for ``sym`` now, else None."""
    p = rule.params
    if rule.kind == "stale_price":
        missed = prices.missed_sessions(sym, today)
        if not missed or missed[0] < int(p["sessions"]):
            return None
        n, last = missed
        text = f"{sym}: no new close for {n} sessions (last close {last})."
        return f"{rule.id}:{sym}:stale:{last}", last, text, _prices_link(sym)
    s = prices.get(sym)
    if s is None or len(s.dates) < 2:
        return None
    day = str(s.dates[-1])
    key = f"{rule.id}:{sym}:{day}"
    if rule.kind == "daily_move":
        change = s.adj[-1] / s.adj[-2] - 1.0
        if _move(change, float(p["pct"]), str(p["direction"])):
            return key, day, f"{sym} closed {change:+.1%} on {day} ({head}).", _prices_link(sym)
    elif rule.kind == "move_n":
        n = int(p["sessions"])
        if len(s.adj) > n:
            change = s.adj[-1] / s.adj[-1 - n] - 1.0
            if _move(change, float(p["pct"]), str(p["direction"])):
                text = f"{sym} moved {change:+.1%} over {n} sessions to {day} ({head})."
                return key, day, text, _prices_link(sym, "3M")
    elif rule.kind == "level_cross":
        level, d = float(p["level"]), str(p["direction"])
        prev, last = s.close[-2], s.close[-1]
        up = prev < level <= last
        down = prev > level >= last
        if (up and d in ("up", "either")) or (down and d in ("down", "either")):
            word = "above" if up else "below"
            text = f"{sym} closed {word} {level:g} on {day} at {last:g} (previous close {prev:g})."
            return key, day, text, _prices_link(sym)
    return None


def _event_rows(events: pd.DataFrame) -> list[tuple[str, str, str, str, frozenset[str], str]]:
    if events.empty:
        return []
    status = events["status"] if "status" in events else pd.Series("occurred", events.index)
    rows = []
    for r, st in zip(events.itertuples(index=False), status, strict=True):
        if st == "scheduled":  # a deadline is a catalyst, not a new event
            continue
        syms = frozenset(str(r.symbols).split())
        url = str(r.source_urls).split(" ; ")[0].strip()
        rows.append(
            (
                str(r.id),
                pd.Timestamp(r.date).date().isoformat(),
                str(r.category),
                str(r.title),
                syms,
                url,
            )
        )
    return rows


def _by_symbol(rows: Iterable[tuple]) -> dict[str, list[tuple]]:
    """Rows indexed by each symbol they name (rows name their symbols in field 4)."""
    out: dict[str, list[tuple]] = {}
    for row in rows:
        for sym in row[4]:
            out.setdefault(sym, []).append(row)
    return out


def _named(rule: Rule, by_symbol: Mapping[str, list[tuple]]) -> list[tuple]:
    """The rows naming any of the rule's symbols, each once, in their original order."""
    seen: dict[str, tuple] = {}
    for sym in rule.symbols:
        for row in by_symbol.get(sym, ()):
            seen.setdefault(row[0], row)
    return list(seen.values())


def _policy(rule: Rule, by_symbol: Mapping[str, list[tuple]], head: str) -> list[Firing]:
    cats = set(rule.params.get("categories") or [])
    mine = set(rule.symbols)
    out = []
    for eid, day, cat, title, syms, url in _named(rule, by_symbol):
        if day < rule.created or (cats and cat not in cats):
            continue
        named = ", ".join(sorted(syms & mine))
        out.append(
            Firing(
                f"{rule.id}:event:{eid}",
                rule.id,
                rule.owner,
                rule.watchlist_name,
                rule.kind,
                named,
                day,
                f"New policy event on {day} naming {named} ({cat}).",
                "/Policy_timeline?" + urlencode({"pt_event": eid}),
                url,
                title,
            )
        )
    return out


def _catalyst_rows(table: pd.DataFrame) -> list[tuple[str, date, str, str, frozenset[str], str]]:
    if table.empty:
        return []
    return [
        (
            str(r.uid),
            pd.Timestamp(r.start).date(),
            str(r.when),
            str(r.title),
            frozenset(r.symbols),
            str(r.source_url),
        )
        for r in table.itertuples(index=False)
        if r.kind in ("policy deadline", "project milestone", "earnings")
    ]


def _catalysts(
    rule: Rule, by_symbol: Mapping[str, list[tuple]], today: date, head: str
) -> list[Firing]:
    days = int(rule.params["days"])
    mine = set(rule.symbols)
    out = []
    for uid, start, when, title, syms, url in _named(rule, by_symbol):
        left = (start - today).days
        if not 0 <= left <= days:
            continue
        named = ", ".join(sorted(syms & mine))
        out.append(
            Firing(
                f"{rule.id}:catalyst:{uid}",
                rule.id,
                rule.owner,
                rule.watchlist_name,
                rule.kind,
                named,
                start.isoformat(),
                f"Due in {left} days ({when}) for {named}.",
                "/Catalysts?" + urlencode({"cat_h": "next90"}),
                url,
                title,
            )
        )
    return out
