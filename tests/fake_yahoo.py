"""A fake Yahoo Finance on 127.0.0.1 that yfinance reaches through its real code path.

yfinance is pointed at it with :class:`LoopbackSession`, a ``requests.Session`` that rewrites
every ``*.yahoo.com`` URL to the fake server (yfinance accepts any requests Session subclass),
so nothing inside yfinance is patched. The server speaks what a daily ``yf.download`` needs:

- ``fc.yahoo.com /`` (cookie) and ``/v1/test/getcrumb`` (crumb);
- ``/v8/finance/chart/{symbol}`` for the timezone probe (``range=1d``) and the history
  (``period1``/``period2`` or ``range``), with data taken from the real shipped snapshot;
- ``/ws/fundamentals-timeseries/v1/finance/timeseries/{symbol}``: share counts, as
  ``Ticker.get_shares_full`` (and ``fast_info['shares']``) in yfinance 1.7 read them;
- 404 for everything else (quoteSummary, consent pages, ...).

Faults are injected per symbol (or ``"*"`` for all) with :class:`Fault`; every request is
counted per path so tests can bound how many requests one refresh makes.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import requests

from lib.prices import PriceStore, YahooFetcher, probe_reachable, read_snapshot, read_snapshot_meta

#: Fault kinds understood by the server.
STATUS = "status"  # HTTP error (429/500/503/404) with a Yahoo-like body
HANG = "hang"  # sleep past the client timeout before answering
CLOSE = "close"  # announce a full body, send half, close the socket
MALFORMED = "malformed"  # 200 with invalid JSON
EMPTY = "empty"  # a result with no timestamps
NULL = "null"  # every price null (``every=1``) or close/adj close null on every Nth row
DUPES = "dupes"  # every bar twice (second copy an hour later), newest first
TZSHIFT = "tzshift"  # exchange timezone 14 h ahead: every bar lands on the next day
REBASE = "rebase"  # adjusted closes rewritten (split/dividend) before ``before``


@dataclass
class Fault:
    """What to do wrong for one symbol; ``times`` limits it to the first N chart requests."""

    kind: str
    status: int = 500
    times: int | None = None
    hang_s: float = 30.0
    factor: float = 0.5
    before: date | None = None
    every: int = 1  # NULL: null close/adj close on every Nth row only (open etc. kept)
    probe: bool = True  # also applies to the timezone probe (range=1d)
    used: int = 0


def _exchange_tz(symbol: str) -> str:
    if symbol.endswith(".AX"):
        return "Australia/Sydney"
    if symbol.endswith((".SS", ".SZ")):
        return "Asia/Shanghai"
    if symbol.endswith("=X"):
        return "Europe/London"
    return "America/New_York"


def _open_time(symbol: str) -> time:
    return time(0, 0) if symbol.endswith("=X") else time(9, 30)


def _epoch(d: date, symbol: str, tz: str) -> int:
    local = datetime.combine(d, _open_time(symbol), tzinfo=ZoneInfo(tz))
    return int(local.astimezone(UTC).timestamp())


def _num(x: Any) -> float | int | None:
    return None if pd.isna(x) else x.item() if hasattr(x, "item") else x


class FakeYahoo:
    """The server plus its knobs: ``faults``, ``as_of`` (no rows after it), request counts."""

    def __init__(self, data: pd.DataFrame | None = None, as_of: date | None = None) -> None:
        self.data = data if data is not None else read_snapshot()
        meta = read_snapshot_meta()
        self.currency = {
            str(s): (str(c).split()[0] if "per" in str(c) else str(c))
            for s, c in zip(meta["symbol"], meta["currency"], strict=True)
        }
        self.as_of = as_of
        self.faults: dict[str, Fault] = {}
        #: Share counts served by the fundamentals-timeseries endpoint: symbol -> [(day, n)].
        self.shares: dict[str, list[tuple[date, int]]] = {}
        #: Per-symbol failure of that endpoint: "status" (500), "malformed" or "bad-request".
        self.share_faults: dict[str, str] = {}
        #: Earnings dates served by quoteSummary calendarEvents (Ticker.calendar): symbol -> days.
        self.earnings: dict[str, list[date]] = {}
        #: Per-symbol failure of that endpoint: "429", "status" (500), "malformed" or "empty".
        self.earnings_faults: dict[str, str] = {}
        self.counts: Counter[str] = Counter()
        self.log: list[tuple[str, dict[str, str]]] = []
        self.hanging = 0  # requests currently held open by a HANG fault
        self._lock = threading.Lock()
        self.stop_event = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle
    def start(self) -> FakeYahoo:
        handler = type("Handler", (_Handler,), {"fake": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()  # releases hanging handlers
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- helpers for tests
    def session(self) -> LoopbackSession:
        return LoopbackSession(self.base_url)

    def fetcher(self, **kwargs: Any) -> YahooFetcher:
        """A production YahooFetcher whose only difference is the session and the probe target."""
        kwargs.setdefault("session", self.session())
        kwargs.setdefault("probe", lambda: probe_reachable("127.0.0.1", self.port, ttl=0))
        kwargs.setdefault("sleep", lambda _s: None)
        return YahooFetcher(**kwargs)

    def fail(self, symbol: str, kind: str, **kwargs: Any) -> Fault:
        fault = Fault(kind, **kwargs)
        self.faults[symbol.upper()] = fault
        return fault

    def chart_requests(self, symbol: str | None = None) -> int:
        prefix = "/v8/finance/chart/"
        with self._lock:
            return sum(
                n
                for p, n in self.counts.items()
                if p.startswith(prefix) and (symbol is None or p == prefix + symbol)
            )

    def total_requests(self) -> int:
        with self._lock:
            return sum(self.counts.values())

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()
            self.log.clear()

    # ---- request handling (called from handler threads)
    def _record(self, path: str, query: dict[str, str]) -> None:
        with self._lock:
            self.counts[path] += 1
            self.log.append((path, query))

    def _fault_for(self, symbol: str, is_probe: bool) -> Fault | None:
        with self._lock:
            fault = self.faults.get(symbol) or self.faults.get("*")
            if fault is None or (is_probe and not fault.probe):
                return None
            if fault.times is not None:
                if fault.used >= fault.times:
                    return None
                fault.used += 1
            return fault

    def rows_for(self, symbol: str, query: dict[str, str]) -> pd.DataFrame:
        df = self.data[self.data["symbol"] == symbol]
        if self.as_of is not None:
            df = df[df["date"] <= pd.Timestamp(self.as_of)]
        if query.get("range") == "1d":
            return df.tail(1)
        if "period1" in query:
            lo = pd.Timestamp(int(query["period1"]), unit="s")
            df = df[df["date"] >= lo.normalize()]
        if "period2" in query:
            hi = pd.Timestamp(int(query["period2"]), unit="s")
            df = df[df["date"] < hi]
        return df

    def chart_payload(self, symbol: str, rows: pd.DataFrame, fault: Fault | None) -> dict:
        tz = _exchange_tz(symbol)
        kind = fault.kind if fault else None
        rows = rows.sort_values("date")
        if kind == REBASE and fault is not None:
            rows = rows.copy()
            cut = pd.Timestamp(fault.before) if fault.before else rows["date"].max()
            rows.loc[rows["date"] < cut, "adj_close"] *= fault.factor
        stamps = [_epoch(d.date(), symbol, tz) for d in rows["date"]]
        cols = {c: [_num(v) for v in rows[c]] for c in ("open", "high", "low", "close", "volume")}
        adj = [_num(v) for v in rows["adj_close"]]
        if kind == NULL and fault is not None:
            if fault.every <= 1:
                cols = {c: [None] * len(stamps) for c in cols}
                adj = [None] * len(stamps)
            else:
                hit = [i % fault.every == 0 for i in range(len(stamps))]
                cols["close"] = [None if h else v for h, v in zip(hit, cols["close"], strict=True)]
                adj = [None if h else v for h, v in zip(hit, adj, strict=True)]
        if kind == DUPES:
            n = len(stamps)
            order = list(range(n))[::-1] * 2
            stamps = [stamps[i] + (3600 if k >= n else 0) for k, i in enumerate(order)]
            cols = {c: [v[i] for i in order] for c, v in cols.items()}
            adj = [adj[i] for i in order]
        shown_tz = "Pacific/Kiritimati" if kind == TZSHIFT else tz
        offset = int(datetime.now(ZoneInfo(shown_tz)).utcoffset().total_seconds())  # type: ignore[union-attr]
        meta = {
            "currency": self.currency.get(symbol, "USD"),
            "symbol": symbol,
            "exchangeName": "FAKE",
            "instrumentType": "CURRENCY" if symbol.endswith("=X") else "EQUITY",
            "firstTradeDate": stamps[0] if stamps else None,
            "regularMarketTime": stamps[-1] if stamps else None,
            "gmtoffset": offset,
            "timezone": "FAKE",
            "exchangeTimezoneName": shown_tz,
            "priceHint": 2,
            "dataGranularity": "1d",
            "range": "",
            "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
        }
        result: dict[str, Any] = {"meta": meta}
        if kind == EMPTY or not stamps:
            result["indicators"] = {"quote": [{}]}
        else:
            result["timestamp"] = stamps
            result["indicators"] = {"quote": [cols], "adjclose": [{"adjclose": adj}]}
        return {"chart": {"result": [result], "error": None}}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeYahoo
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def _send(
        self, status: int, body: bytes, ctype: str = "application/json", extra: dict | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self._dispatch()

    def do_GET(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        # The client may have given up (timeout fault); then there is nobody to answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._route()

    def _route(self) -> None:
        parts = urlsplit(self.path)
        host = self.headers.get("X-Original-Host", "")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = unquote(parts.path)
        self.fake._record(path, query)
        if host == "fc.yahoo.com":
            self._send(404, b"", "text/html", {"Set-Cookie": "A3=fake; Path=/; Domain=.yahoo.com"})
        elif path == "/v1/test/getcrumb":
            self._send(200, b"fakecrumb", "text/plain")
        elif path.startswith("/v8/finance/chart/"):
            self._chart(path.rsplit("/", 1)[1].upper(), query)
        elif path.startswith(SHARES_PATH):
            self._shares(path.rsplit("/", 1)[1].upper(), query)
        elif path.startswith(QUOTE_SUMMARY_PATH):
            self._calendar(path.rsplit("/", 1)[1].upper(), query)
        else:
            body = {"finance": {"result": None, "error": {"code": "Not Found"}}}
            self._send(404, json.dumps(body).encode())

    def _shares(self, symbol: str, query: dict[str, str]) -> None:
        """yfinance's Ticker.get_shares_full (and so fast_info.shares) reads this endpoint."""
        fault = self.fake.share_faults.get(symbol)
        if fault == "status":
            self._send(500, b'{"finance": {"error": {"code": "Internal Server Error"}}}')
            return
        if fault == "malformed":
            self._send(200, b'{"timeseries": {"result": [{"timestamp": [17')
            return
        if fault == "bad-request":
            self._send(400, b'{"finance": {"result": null, "error": {"code": "Bad Request"}}}')
            return
        lo, hi = int(query.get("period1", 0)), int(query.get("period2", 2**40))
        points = [
            (int(datetime.combine(d, time(0), tzinfo=UTC).timestamp()), n)
            for d, n in self.fake.shares.get(symbol, [])
        ]
        points = [(t, n) for t, n in points if lo <= t <= hi]
        result: dict[str, Any] = {"meta": {"symbol": [symbol], "type": ["shares_out"]}}
        if points:
            result["timestamp"] = [t for t, _ in points]
            result["shares_out"] = [n for _, n in points]
        body = {"timeseries": {"result": [result], "error": None}}
        self._send(200, json.dumps(body).encode())

    def _calendar(self, symbol: str, query: dict[str, str]) -> None:
        """yfinance's Ticker.calendar reads quoteSummary?modules=calendarEvents."""
        fault = self.fake.earnings_faults.get(symbol)
        if fault == "429":
            self._send(429, b"Too Many Requests", "text/plain")
            return
        if fault == "status":
            self._send(500, b'{"finance": {"error": {"code": "Internal Server Error"}}}')
            return
        if fault == "malformed":
            self._send(200, b'{"quoteSummary": {"result": [{"calendarEvents": {"earn')
            return
        days = [] if fault == "empty" else self.fake.earnings.get(symbol, [])
        stamps = [int(datetime.combine(d, time(12), tzinfo=UTC).timestamp()) for d in days]
        events: dict[str, Any] = {"earnings": {"earningsDate": stamps}} if stamps else {}
        body = {"quoteSummary": {"result": [{"calendarEvents": events}], "error": None}}
        self._send(200, json.dumps(body).encode())

    def _chart(self, symbol: str, query: dict[str, str]) -> None:
        fake = self.fake
        fault = fake._fault_for(symbol, is_probe=query.get("range") == "1d")
        kind = fault.kind if fault else None
        if fault is not None and kind == HANG:
            with fake._lock:
                fake.hanging += 1
            try:
                fake.stop_event.wait(fault.hang_s)
            finally:
                with fake._lock:
                    fake.hanging -= 1
            fault = None
        if fault is not None and kind == STATUS:
            if fault.status == 429:
                self._send(429, b"Too Many Requests\r\n", "text/plain")
            else:
                err = {"code": "Not Found" if fault.status == 404 else "Internal Server Error"}
                err["description"] = f"fake fault {fault.status}"
                body = {"chart": {"result": None, "error": err}}
                self._send(fault.status, json.dumps(body).encode())
            return
        if fault is not None and kind == MALFORMED:
            self._send(200, b'{"chart": {"result": [{"meta": {"currency": "USD", "timest')
            return
        rows = fake.rows_for(symbol, query)
        if symbol not in set(fake.data["symbol"]):
            err = {"code": "Not Found", "description": "No data found, symbol may be delisted"}
            self._send(404, json.dumps({"chart": {"result": None, "error": err}}).encode())
            return
        body = json.dumps(fake.chart_payload(symbol, rows, fault)).encode()
        if fault is not None and kind == CLOSE:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(200, body)


SHARES_PATH = "/ws/fundamentals-timeseries/v1/finance/timeseries/"
QUOTE_SUMMARY_PATH = "/v10/finance/quoteSummary/"


class LoopbackSession(requests.Session):
    """Sends every ``*.yahoo.com`` request to the fake server; refuses anything else."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.trust_env = False  # no proxies from the environment

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(str(url))
        host = parts.hostname or ""
        if not (host == "yahoo.com" or host.endswith(".yahoo.com")):
            raise requests.ConnectionError(f"fake Yahoo refuses non-Yahoo URL {url!r}")
        base = urlsplit(self.base_url)
        new = urlunsplit((base.scheme, base.netloc, parts.path or "/", parts.query, ""))
        headers = dict(kwargs.pop("headers", None) or {})
        headers["X-Original-Host"] = host
        return super().request(method, new, *args, headers=headers, **kwargs)


def reset_yfinance(cache_dir: Path) -> None:
    """Forget yfinance's process-wide state so tests do not leak into each other."""
    import yfinance as yf
    from yfinance.data import YfData

    YfData.cache_get.cache_clear()
    cache_dir.mkdir(parents=True, exist_ok=True)
    yf.set_tz_cache_location(str(cache_dir))
    data = YfData()
    data._crumb = None
    data._cookie = None
    data._cookie_strategy = "basic"


@contextlib.contextmanager
def running_fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeYahoo]:
    """A started fake Yahoo; refreshes are allowed (RER_OFFLINE unset) for this test only.

    Test modules wrap it in a ``fake_yahoo`` fixture.
    """
    monkeypatch.delenv("RER_OFFLINE", raising=False)
    reset_yfinance(tmp_path / "yf-cache")
    server = FakeYahoo().start()
    try:
        yield server
    finally:
        server.stop()
        reset_yfinance(tmp_path / "yf-cache")


def closed_port() -> int:
    """A 127.0.0.1 port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: The fake's "today": a Tuesday after MP's +50.6% day (2025-07-10).
TODAY = date(2025, 7, 15)


class Clock:
    """A settable ``now`` for PriceStore."""

    def __init__(self, when: datetime) -> None:
        self.when = when

    def __call__(self) -> datetime:
        return self.when


def truncated_snapshot(tmp_path: Path, until: date = date(2025, 6, 30)) -> Path:
    """The real snapshot cut at ``until``, so a refresh has real rows to add."""
    snap = read_snapshot()
    path = tmp_path / "snapshot.parquet"
    snap[snap["date"] <= pd.Timestamp(until)].to_parquet(path, index=False)
    return path


def store_for(fake: FakeYahoo, tmp_path: Path, **fetcher_kwargs: Any) -> PriceStore:
    """A PriceStore on a truncated snapshot, a temp cache and the fake, on day TODAY."""
    fake.as_of = TODAY
    return PriceStore(
        snapshot_path=truncated_snapshot(tmp_path),
        cache_dir=tmp_path / "cache",
        fetcher=fake.fetcher(**fetcher_kwargs),
        now=Clock(datetime.combine(TODAY, time(22, 0))),
    )
