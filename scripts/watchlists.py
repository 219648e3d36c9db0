"""Watchlist administration: list owners, and hand lists from one owner to another.

    python scripts/watchlists.py owners
    python scripts/watchlists.py assign --from local --to 'oidc:https://issuer|subject'

The database is RER_DATABASE_URL, else ``[connections.watchlists] url`` in
.streamlit/secrets.toml, else the local SQLite file: the same one the app opens.
Exit codes: 0 done, 1 refused (nothing changed, the message says why), 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere

from lib import watchlists as wl  # noqa: E402
from lib.watchlists.assign import assign_lists, owners  # noqa: E402


def secrets_url(path: Path) -> str | None:
    """``[connections.watchlists] url`` from a secrets.toml, if there is one."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    url = data.get("connections", {}).get("watchlists", {}).get("url")
    return str(url) if url else None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", help="SQLAlchemy URL (default: as the app resolves it)")
    p.add_argument(
        "--secrets",
        type=Path,
        default=ROOT / ".streamlit" / "secrets.toml",
        help="secrets.toml to read [connections.watchlists] from",
    )
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("owners", help="every owner with lists, and how many")
    a = sub.add_parser("assign", help="move all lists of one owner to another, in one go")
    a.add_argument("--from", dest="from_owner", required=True, help="e.g. local")
    a.add_argument("--to", dest="to_owner", required=True, help="e.g. oidc:<issuer>|<subject>")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = parse_args(argv)
    url = args.database_url or wl.resolve_database_url(secrets_url=secrets_url(args.secrets))
    store = wl.WatchlistStore.open(url)
    try:
        print(f"Watchlists in {wl.describe_url(url)}", file=out)
        if args.command == "owners":
            found = owners(store)
            for o in found:
                print(f"{o.lists:4d}  {o.owner}", file=out)
            if not found:
                print("No watchlists yet.", file=out)
            return 0
        try:
            moved = assign_lists(store, args.from_owner, args.to_owner)
        except wl.WatchlistError as exc:
            print(str(exc), file=out)
            return 1
        print(f"Moved {len(moved)} watchlist(s) to {args.to_owner}: " + ", ".join(moved), file=out)
        return 0
    finally:
        store.dispose()


if __name__ == "__main__":
    sys.exit(main())
