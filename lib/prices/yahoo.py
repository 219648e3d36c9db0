"""The yfinance adapter (the only module that talks to Yahoo) and a cached TCP probe."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from lib.prices.schema import FetchResult, PriceDataError, empty_prices, normalise

_PROBE_CACHE: dict[tuple[str, int], tuple[float, bool]] = {}


_PROBE_LOCK = threading.Lock()


PROBE_TTL_S = 300.0


def probe_reachable(host: str, port: int, timeout: float = 1.0, ttl: float = PROBE_TTL_S) -> bool:
    """Fast TCP probe (DNS included) with a hard deadline, remembered for ``ttl`` seconds.

    Runs in a daemon thread because socket timeouts do not cover name resolution.
    """
    key = (host, port)
    with _PROBE_LOCK:
        hit = _PROBE_CACHE.get(key)
        if hit and time.monotonic() - hit[0] < ttl:
            return hit[1]
    result: list[bool] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    t = threading.Thread(target=attempt, daemon=True)
    t.start()
    t.join(timeout)
    ok = bool(result and result[0])
    with _PROBE_LOCK:
        _PROBE_CACHE[key] = (time.monotonic(), ok)
    return ok


def forget_probe() -> None:
    """Forget remembered reachability, e.g. when the user presses "Refresh now"."""
    with _PROBE_LOCK:
        _PROBE_CACHE.clear()


class _CaptureYFErrors(logging.Handler):
    """yfinance 1.x only logs per-ticker failures; collect them instead of reading dead globals."""

    _line = re.compile(r"\[([^\]]*)\]:\s*(.+)")

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.errors: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        for line in record.getMessage().splitlines():
            m = self._line.search(line)
            if not m:
                continue
            for sym in re.findall(r"'([^']+)'", m.group(1)):
                self.errors[sym.upper()] = m.group(2).strip()


_RATE_LIMIT = re.compile(r"RateLimit|Too Many Requests|\b429 Client Error\b|\bHTTP 429\b")


def _is_rate_limit(msg: str) -> bool:
    """Only real rate-limit messages: a bare "429" also appears in URLs and port numbers."""
    return bool(_RATE_LIMIT.search(msg))


class YahooFetcher:
    """Daily history from Yahoo through yfinance, with a timeout and a bounded backoff."""

    def __init__(
        self,
        *,
        session: Any = None,
        timeout: float = 10.0,
        max_retries: int = 2,
        backoff_s: float = 1.0,
        max_backoff_total_s: float = 6.0,
        probe: Callable[[], bool] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        tz_cache_dir: Path | None = None,
        deadline_s: float | None = None,
    ) -> None:
        self.session = session
        self.timeout = timeout
        # yfinance's cookie/crumb requests use their own 30 s timeout and symbols are fetched
        # a few at a time, so one download also gets a hard overall deadline.
        self.deadline_s = deadline_s if deadline_s is not None else max(30.0, 6 * timeout)
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_total_s = max_backoff_total_s
        self._probe = probe or (lambda: probe_reachable("query2.finance.yahoo.com", 443))
        self.sleep = sleep
        self.tz_cache_dir = tz_cache_dir
        self.calls = 0

    def available(self) -> bool:
        return self._probe()

    def fetch(self, symbols: Sequence[str], start: date | None, end: date) -> FetchResult:
        pending = list(symbols)
        frames: list[pd.DataFrame] = []
        errors: dict[str, str] = {}
        rate_limited = False
        retries = 0
        slept = 0.0
        while pending:
            rows, errs = self._download_once(pending, start, end)
            frames.append(rows)
            got = set(rows["symbol"].unique()) if not rows.empty else set()
            limited = [s for s in pending if s not in got and _is_rate_limit(errs.get(s, ""))]
            for s in pending:
                if s not in got:
                    errors[s] = errs.get(s, "no data returned (unknown or delisted symbol?)")
                else:
                    errors.pop(s, None)
            if not limited:
                break
            rate_limited = True
            wait = self.backoff_s * (2**retries)
            if retries >= self.max_retries or slept + wait > self.max_backoff_total_s:
                break
            self.sleep(wait)
            slept += wait
            retries += 1
            pending = limited
        rows = pd.concat(frames, ignore_index=True) if frames else empty_prices()
        return FetchResult(rows, errors, rate_limited, retries)

    def _download_once(
        self, symbols: list[str], start: date | None, end: date
    ) -> tuple[pd.DataFrame, dict[str, str]]:
        import yfinance as yf  # imported lazily: pages that never refresh stay fast

        if self.tz_cache_dir is not None:
            self.tz_cache_dir.mkdir(parents=True, exist_ok=True)
            yf.set_tz_cache_location(str(self.tz_cache_dir))
        handler = _CaptureYFErrors()
        yf_log = logging.getLogger("yfinance")
        yf_log.addHandler(handler)
        # Errors are read from yfinance's log: another caller (share counts, earnings) may have
        # raised the logger's level, which would hide them; restore it afterwards.
        level = yf_log.level
        if not yf_log.isEnabledFor(logging.ERROR):
            yf_log.setLevel(logging.ERROR)
        self.calls += 1
        try:
            kwargs: dict[str, Any] = {
                "auto_adjust": False,
                "actions": False,
                "progress": False,
                "threads": len(symbols) > 1,
                "timeout": self.timeout,
                "group_by": "column",
                "multi_level_index": True,
            }
            if self.session is not None:
                kwargs["session"] = self.session
            if start is None:
                kwargs["period"] = "max"
            else:
                kwargs["start"] = start.isoformat()
                kwargs["end"] = end.isoformat()
            raw = self._download_with_deadline(yf, list(symbols), kwargs)
        except TimeoutError:
            msg = f"timed out after {self.deadline_s:g} s"
            return empty_prices(), {s: handler.errors.get(s, msg) for s in symbols}
        except Exception as exc:
            return empty_prices(), {s: repr(exc) for s in symbols}
        finally:
            yf_log.removeHandler(handler)
            yf_log.setLevel(level)
        return download_to_tidy(raw), handler.errors

    def _download_with_deadline(self, yf: Any, symbols: list[str], kwargs: dict[str, Any]) -> Any:
        """Run yf.download in a daemon thread; give up (TimeoutError) after ``deadline_s``."""
        # yfinance memoises responses (including error responses) per URL for the life of
        # the process; a long-running server must not replay a stale failure forever.
        cache_get = getattr(yf.data.YfData.cache_get, "cache_clear", None)
        if cache_get is not None:
            cache_get()
        out: dict[str, Any] = {}

        def work() -> None:
            try:
                out["raw"] = yf.download(symbols, **kwargs)
            except BaseException as exc:  # handed back to the caller's thread
                out["exc"] = exc

        t = threading.Thread(target=work, name="yf-download", daemon=True)
        t.start()
        t.join(self.deadline_s)
        if t.is_alive():
            raise TimeoutError
        if "exc" in out:
            raise out["exc"]
        return out.get("raw")


def download_to_tidy(raw: pd.DataFrame | None) -> pd.DataFrame:
    """Turn yfinance's wide (Price x Ticker) frame into our tidy rows; all-NaN tickers vanish."""
    if raw is None or raw.empty:
        return empty_prices()
    if not isinstance(raw.columns, pd.MultiIndex):
        raise PriceDataError("unexpected download shape: single-level columns")
    names = list(raw.columns.names)
    level = names.index("Ticker") if "Ticker" in names else 1
    long = raw.stack(level=level)
    long.index = long.index.set_names(["date", "symbol"])
    long = long.reset_index()
    rename = {
        "Open": "open",
        "High": "high",
        "Low": "low",
        "Close": "close",
        "Adj Close": "adj_close",
        "Volume": "volume",
    }
    long = long.rename(columns=rename)
    if "adj_close" not in long:
        long["adj_close"] = long.get("close")
    long["date"] = pd.to_datetime(long["date"]).dt.tz_localize(None).dt.normalize()
    # Rows that are NaN in every field only exist because yfinance outer-joins tickers on
    # the union of dates (exchange holidays, failed tickers): drop them quietly. Rows with
    # some values but no close are malformed and go on to clean_rows, which logs them.
    fields = [c for c in ("open", "high", "low", "close", "adj_close", "volume") if c in long]
    long = long.dropna(subset=fields, how="all")
    return normalise(long)
