"""Evaluate every alert rule, record new firings in the outbox, and deliver them.

    python scripts/alerts.py run          # evaluate + send (what cron and `make refresh` run)
    python scripts/alerts.py send         # only retry pending deliveries

Needs no network except for delivery: prices come from the offline snapshot plus the local
cache (or the shared PostgreSQL store), events and catalysts from data/. A run is idempotent:
a firing already recorded is never fired again. Configuration: ``[alerts]`` in
.streamlit/secrets.toml (see lib/alerts/config.py and the README). The database is the
watchlist database, resolved as the app resolves it. Email goes only to the owner's verified
address (lib/alerts/addresses.py), checked again when each message is sent.
Exit codes: 0 done, 1 some deliveries failed or configuration unusable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere

import pandas as pd  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from lib import watchlists as wl  # noqa: E402
from lib.alerts import config as alert_config  # noqa: E402
from lib.alerts.addresses import AddressBook  # noqa: E402
from lib.alerts.deliver import (  # noqa: E402
    Sender,
    SendReport,
    email_sender,
    send_pending,
    webhook_sender,
)
from lib.alerts.evaluate import PriceIndex, evaluate  # noqa: E402
from lib.alerts.outbox import Targets, record  # noqa: E402
from lib.alerts.store import AlertStore  # noqa: E402
from lib.catalysts import earnings, model, sources  # noqa: E402
from lib.events.events import load_events  # noqa: E402
from lib.prices import PriceStore  # noqa: E402
from lib.prices.pg_store import select_price_store  # noqa: E402
from lib.universe import load_universe  # noqa: E402
from scripts.watchlists import SecretsError, secrets_url  # noqa: E402


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["run", "send"])
    p.add_argument("--database-url", help="SQLAlchemy URL (default: as the app resolves it)")
    p.add_argument("--secrets", type=Path, default=ROOT / ".streamlit" / "secrets.toml")
    p.add_argument("--today", type=date.fromisoformat, default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def catalysts_table() -> pd.DataFrame:
    return model.combine(
        model.from_policy_events(load_events()),
        model.from_pipeline(sources.load_pipeline()),
        model.from_earnings(earnings.load_offline()),
    )


def run_rules(
    store: AlertStore,
    prices: PriceStore,
    cfg: alert_config.AlertsConfig,
    today: date,
    now: datetime,
) -> tuple[int, list[str], list[str]]:
    """Evaluate and record; (new firings, message ids, channels asked for but unavailable)."""
    rules = store.all_rules()
    if not rules:
        return 0, [], []
    symbols = sorted({s for r in rules for s in r.symbols})
    uni = load_universe()
    index = PriceIndex(
        prices.load(symbols),
        dict(zip(uni["symbol"], uni["exchange"], strict=True)),
    )
    firings = evaluate(rules, index, load_events(), catalysts_table(), today)

    book = AddressBook(store.engine)

    def targets(owner: str) -> Targets:
        # Only a verified address (server config, sign-in, or typed and confirmed).
        email = book.delivery_address(owner, cfg.email)
        return Targets(
            email=email.address if email and cfg.smtp else None,
            webhook=cfg.webhook.url if cfg.webhook else None,
        )

    channels = {r.id: r.channels for r in rules}
    rep = record(store.engine, firings, channels, targets, now)
    return rep.new_firings, rep.messages, rep.skipped_channels


def senders(cfg: alert_config.AlertsConfig, book: AddressBook) -> dict[str, Sender]:
    """The configured channels; email re-checks at send time that the address is verified."""
    out: dict[str, Sender] = {}
    if cfg.smtp:
        out["email"] = email_sender(
            cfg.smtp, lambda owner, address: book.may_deliver(owner, address, cfg.email)
        )
    if cfg.webhook:
        out["webhook"] = webhook_sender(cfg.webhook)
    return out


def send(
    engine: Engine,
    cfg: alert_config.AlertsConfig,
    now: datetime,
    after_send: Callable[[str], None] = lambda _id: None,
) -> SendReport:
    """Deliver every due pending delivery (the ``send`` step of ``run``)."""
    return send_pending(
        engine, senders(cfg, AddressBook(engine)), now, cfg.base_url, after_send=after_send
    )


def main(argv: Sequence[str] | None = None, stdout: TextIO = sys.stdout) -> int:
    args = parse_args(argv)
    try:
        cfg = alert_config.load(args.secrets)
        url = args.database_url or wl.resolve_database_url(secrets_url=secrets_url(args.secrets))
    except (alert_config.AlertConfigError, SecretsError) as exc:
        print(f"alerts: {exc}", file=sys.stderr)
        return 1
    now = datetime.now(UTC)
    today = args.today or date.today()
    wstore = wl.WatchlistStore.open(url)
    try:
        store = AlertStore(wstore.engine)
        if args.command == "run":
            prices = select_price_store(url, file_store=PriceStore)
            n, messages, skipped = run_rules(store, prices, cfg, today, now)
            print(f"alerts: {n} new firing(s) in {len(messages)} message(s)", file=stdout)
            for s in skipped:
                print(f"alerts: not configured, inbox only: {s}", file=stdout)
        rep = send(wstore.engine, cfg, now)
    finally:
        wstore.dispose()
    print(
        f"alerts: sent {len(rep.sent)}, retrying {len(rep.retrying)}, parked {len(rep.parked)}",
        file=stdout,
    )
    return 1 if rep.parked or rep.retrying else 0


if __name__ == "__main__":
    raise SystemExit(main())
