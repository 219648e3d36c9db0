"""`make refresh`: bring the price cache up to date from Yahoo Finance (cron-friendly).

The cache is the app's: the shared PostgreSQL store when RER_DATABASE_URL is a PostgreSQL
URL (one refresh serves every server; another process refreshing makes this one a no-op),
else the local file cache.

Exit codes: 0 when every symbol is up to date, or Yahoo is unreachable (nothing changed,
a message says so); 1 when some symbols failed (named on stdout); 2 on an unexpected error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from lib.prices import PriceStore, default_store, refresh_universe_symbols
from lib.prices.pg_store import select_price_store
from lib.universe import InvalidSymbolError, normalise_symbol
from lib.watchlists import resolve_database_url

BAR_WIDTH = 30


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--symbols",
        nargs="+",
        metavar="SYM",
        help="symbols to refresh (space or comma separated); default: universe + FX",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="download even symbols that look up to date",
    )
    return p.parse_args(argv)


def _symbols(raw: list[str] | None) -> list[str]:
    if not raw:
        return refresh_universe_symbols()
    out = [normalise_symbol(part) for item in raw for part in item.split(",") if part.strip()]
    return list(dict.fromkeys(out))


class ProgressBar:
    """One text bar line per symbol on stderr (cron logs stay readable; no carriage returns)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = max(1, total)
        self.done = 0
        self.stream = stream

    def __call__(self, symbol: str, message: str) -> None:
        self.done += 1
        filled = round(BAR_WIDTH * min(self.done, self.total) / self.total)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        print(f"[{bar}] {self.done:>3}/{self.total} {symbol:<10} {message}", file=self.stream)
        self.stream.flush()


def main(argv: Sequence[str] | None = None, store: PriceStore | None = None) -> int:
    try:
        args = parse_args(argv)
        symbols = _symbols(args.symbols)
    except InvalidSymbolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if store is None:
            store = select_price_store(resolve_database_url(), file_store=default_store)
        targets = symbols if args.force else store.stale_symbols(symbols)
        if not targets:
            print(f"All {len(symbols)} symbols are up to date.")
            return 0
        print(f"Refreshing {len(targets)} symbol(s) from Yahoo Finance…", file=sys.stderr)
        report = store.refresh(targets, force=True, progress=ProgressBar(len(targets), sys.stderr))
    except Exception as exc:  # cron wants a short message and a distinct exit code
        print(f"error: refresh failed unexpectedly: {exc!r}", file=sys.stderr)
        return 2
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if report.offline:
        cov = store.coverage()
        as_of = cov["last_date"].max().date().isoformat() if not cov.empty else "n/a"
        print(f"Yahoo Finance is unreachable; nothing changed, using data as of {as_of}.")
        return 0
    print(report.summary())
    if report.failed:
        for sym in report.failed:
            print(f"failed: {sym}: {report.symbols[sym].message}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
