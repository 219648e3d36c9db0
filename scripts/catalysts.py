"""The catalyst calendar from a terminal, for a calendar subscription served by cron.

    python scripts/catalysts.py ics > catalysts.ics
    python scripts/catalysts.py ics --watchlist "US revival" --owner local > us.ics

Writes the same iCalendar file as the Catalysts page's "Calendar (.ics)" button: policy
deadlines, project milestones and earnings dates in the horizon (default: the next 365 days
and the past 90), optionally only those naming a symbol of one owner's watchlist, plus that
owner's private events. UIDs are stable, so a calendar app updates entries on every fetch.
The database is RER_DATABASE_URL, else ``[connections.watchlists] url`` in
.streamlit/secrets.toml, else the local SQLite file: the same one the app opens.
Exit codes: 0 written, 1 refused (the message says why), 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO, TextIO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere

import pandas as pd  # noqa: E402

from lib import watchlists as wl  # noqa: E402
from lib.catalysts import earnings, ics, model, sources  # noqa: E402
from lib.catalysts.private import PrivateEventStore  # noqa: E402
from lib.events.events import load_events  # noqa: E402
from lib.paths import user_data_dir  # noqa: E402
from scripts.watchlists import SecretsError, secrets_url  # noqa: E402


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", help="SQLAlchemy URL (default: as the app resolves it)")
    p.add_argument("--secrets", type=Path, default=ROOT / ".streamlit" / "secrets.toml")
    sub = p.add_subparsers(dest="command", required=True)
    out = sub.add_parser("ics", help="write the calendar to stdout")
    out.add_argument("--watchlist", help="only catalysts naming a symbol of this list")
    out.add_argument("--owner", help="whose watchlist and private events (e.g. local)")
    out.add_argument("--today", type=date.fromisoformat, default=None, help=argparse.SUPPRESS)
    out.add_argument("--ahead", type=int, default=365, help="days ahead (default 365)")
    out.add_argument("--back", type=int, default=90, help="days back (default 90)")
    return p.parse_args(argv)


def calendar(
    today: date,
    *,
    ahead: int,
    back: int,
    symbols: Sequence[str] = (),
    mine: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every catalyst whose period touches [today - back, today + ahead]."""
    public = model.combine(
        model.from_policy_events(load_events()),
        model.from_pipeline(sources.load_pipeline()),
        model.from_earnings(earnings.load_offline()),
        model.from_earnings(
            earnings.read_cache(user_data_dir() / "catalysts" / earnings.CACHE_NAME)
        ),
    )
    span = (today - timedelta(days=back), today + timedelta(days=ahead))
    picked = model.select(public, today=today, symbols=symbols, span=span)
    if mine is not None and not mine.empty:  # the owner's own events always belong
        own = model.select(model.from_private_events(mine), today=today, span=span)
        picked = model.combine(picked, own)
    return picked


def main(
    argv: Sequence[str] | None = None, stdout: BinaryIO | None = None, stderr: TextIO = sys.stderr
) -> int:
    args = parse_args(argv)
    out = stdout or sys.stdout.buffer
    today = args.today or date.today()
    if args.watchlist and not args.owner:
        print("--watchlist needs --owner (whose list it is).", file=stderr)
        return 2
    symbols: list[str] = []
    mine = None
    if args.owner:
        try:
            url = args.database_url or wl.resolve_database_url(
                secrets_url=secrets_url(args.secrets)
            )
        except SecretsError as exc:
            print(str(exc), file=stderr)
            return 1
        store = wl.WatchlistStore.open(url)
        try:
            if args.watchlist:
                found = store.find(args.owner, args.watchlist)
                if found is None:
                    print(f"No watchlist named {args.watchlist!r} for that owner.", file=stderr)
                    return 1
                symbols = list(found.symbols)
                if not symbols:
                    print(f"The watchlist {args.watchlist!r} has no symbols.", file=stderr)
                    return 1
            mine = PrivateEventStore(store.engine).frame(args.owner)
        except wl.WatchlistError as exc:
            print(str(exc), file=stderr)
            return 1
        finally:
            store.dispose()
    table = calendar(today, ahead=args.ahead, back=args.back, symbols=symbols, mine=mine)
    name = f"Catalysts · {args.watchlist}" if args.watchlist else "Catalysts"
    out.write(ics.to_ics(table, name=name))
    out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
