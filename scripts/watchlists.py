"""Watchlist administration: owners, handing lists over, ending a person's sign-ins.

    python scripts/watchlists.py owners
    python scripts/watchlists.py assign --from local --to 'oidc:https://issuer|subject'
    python scripts/watchlists.py sign-out --owner 'oidc:https://issuer|subject'

``assign`` refuses a target that has never signed in (likely a typo) unless ``--force``.
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
from lib.auth_sessions import SessionStore  # noqa: E402
from lib.watchlists.assign import assign_lists, owners, signed_in_owners  # noqa: E402


class SecretsError(Exception):
    """secrets.toml exists but cannot be used; the message names the file, never a value."""


def secrets_url(path: Path) -> str | None:
    """``[connections.watchlists] url`` from a secrets.toml, if there is one.

    A file that exists but does not parse is an error, not "no URL": falling back to the
    local SQLite file would move lists in a database the app does not use.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SecretsError(f"{path} could not be read: {exc}") from None
    conn = data.get("connections", {}).get("watchlists", {})
    url = conn.get("url") if isinstance(conn, dict) else None
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
    a.add_argument(
        "--force", action="store_true", help="allow a target that has never signed in here"
    )
    o = sub.add_parser("sign-out", help="end every sign-in of one owner (all browsers)")
    o.add_argument("--owner", required=True, help="e.g. oidc:<issuer>|<subject>")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = parse_args(argv)
    try:
        url = args.database_url or wl.resolve_database_url(secrets_url=secrets_url(args.secrets))
    except SecretsError as exc:
        print(f"{exc}. Nothing was changed.", file=out)
        return 1
    store = wl.WatchlistStore.open(url)
    try:
        print(f"Watchlists in {wl.describe_url(url)}", file=out)
        if args.command == "owners":
            found = owners(store)
            for o in found:
                print(f"{o.lists:4d}  {o.owner}", file=out)
            if not found:
                print("No watchlists yet.", file=out)
            signed_in = signed_in_owners(store)
            if signed_in:
                print("Signed in at least once (valid --to targets):", file=out)
            for owner, email in signed_in.items():
                print(f"      {owner}" + (f"  ({email})" if email else ""), file=out)
            return 0
        if args.command == "sign-out":
            ended = SessionStore(store.engine).revoke_owner(args.owner)
            print(f"Ended {ended} active sign-in(s) of {args.owner}.", file=out)
            return 0
        try:
            moved = assign_lists(store, args.from_owner, args.to_owner, force=args.force)
        except wl.WatchlistError as exc:
            print(str(exc), file=out)
            return 1
        print(f"Moved {len(moved)} watchlist(s) to {args.to_owner}: " + ", ".join(moved), file=out)
        return 0
    finally:
        store.dispose()


if __name__ == "__main__":
    sys.exit(main())
