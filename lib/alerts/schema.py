"""Alert tables in the watchlist database (migration steps v7 and v8, applied by
lib.watchlists.db).

- ``alert_rules``: one rule per row, owner-scoped like lists, cascading with its list;
- ``alert_firings``: one row per firing key (rule, symbol, trading date or event id), so a
  re-run never fires the same thing twice (the key is the primary key);
- ``alert_messages``: the in-app inbox; one digest per owner per run, with the stable
  ``message_id`` every channel reuses (email Message-ID, webhook delivery id);
- ``alert_deliveries``: the outbox; one row per message and channel, written in the same
  transaction as the firings, marked sent (or parked with its error) by the sender;
- ``alert_addresses`` (v8): one typed email address per owner, used only once confirmed by a
  one-time code; the code itself is never stored, only its salted hash, expiry and attempts.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.watchlists.validate import MAX_OWNER_LEN

metadata = sa.MetaData()


def _tables(md: sa.MetaData) -> dict[str, sa.Table]:
    rules = sa.Table(
        "alert_rules",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(MAX_OWNER_LEN), nullable=False),
        sa.Column(
            "watchlist_id",
            sa.Integer,
            sa.ForeignKey("watchlists.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("params", sa.Text, nullable=False),  # JSON, validated by lib.alerts.rules
        sa.Column("channels", sa.String(64), nullable=False, server_default="inbox"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
        sqlite_autoincrement=True,
    )
    firings = sa.Table(
        "alert_firings",
        md,
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("rule_id", sa.Integer, nullable=False),
        sa.Column("owner", sa.String(MAX_OWNER_LEN), nullable=False),
        sa.Column("message_id", sa.String(80), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
    )
    messages = sa.Table(
        "alert_messages",
        md,
        sa.Column("message_id", sa.String(80), primary_key=True),
        sa.Column("owner", sa.String(MAX_OWNER_LEN), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),  # JSON list of items (see lib.alerts.outbox)
        sa.Column("read_at", sa.DateTime(timezone=True)),
    )
    deliveries = sa.Table(
        "alert_deliveries",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),  # email | webhook
        sa.Column("target", sa.String(400), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),  # pending | sent | parked
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("message_id", "channel", name="uq_alert_delivery"),
        sqlite_autoincrement=True,
    )
    return {"rules": rules, "firings": firings, "messages": messages, "deliveries": deliveries}


def _address_table(md: sa.MetaData) -> sa.Table:
    return sa.Table(
        "alert_addresses",
        md,
        sa.Column("owner", sa.String(MAX_OWNER_LEN), primary_key=True),
        sa.Column("email", sa.String(254)),  # confirmed: the only one alerts may go to
        sa.Column("verified_at", sa.DateTime(timezone=True)),
        sa.Column("pending_email", sa.String(254)),  # typed, waiting for its code
        sa.Column("code_hash", sa.String(160)),  # salt$sha256(salt, owner, address, code)
        sa.Column("code_expires_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("codes_sent", sa.Integer, nullable=False, server_default="0"),
        sa.Column("window_start", sa.DateTime(timezone=True)),  # of the codes_sent count
        sa.Column("last_sent_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


_T = _tables(metadata)
rules_t = _T["rules"]
firings_t = _T["firings"]
messages_t = _T["messages"]
deliveries_t = _T["deliveries"]
addresses_t = _address_table(metadata)


def migrate_v7(conn: Connection) -> None:
    """Create the alert tables (frozen: later versions change them only through new steps)."""
    md = sa.MetaData()
    sa.Table("watchlists", md, sa.Column("id", sa.Integer, primary_key=True))  # FK target
    tables = _tables(md)
    for t in tables.values():
        t.create(conn)
    conn.execute(sa.text("CREATE INDEX ix_alert_rules_owner ON alert_rules (owner, watchlist_id)"))
    conn.execute(sa.text("CREATE INDEX ix_alert_messages_owner ON alert_messages (owner)"))
    conn.execute(
        sa.text(
            "CREATE INDEX ix_alert_deliveries_due ON alert_deliveries (status, next_attempt_at)"
        )
    )


def migrate_v8(conn: Connection) -> None:
    """Typed delivery addresses, confirmed by a code (frozen like v7)."""
    _address_table(sa.MetaData()).create(conn)
