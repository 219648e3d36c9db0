"""Hand every list of one owner to another, e.g. the pre-sign-in ``local`` lists to a user.

One transaction on the store's engine: either all lists move or none do. A name the receiving
owner already uses (names ignore case) refuses the whole move with the clashing names, because
silently renaming or merging someone's lists would lose track of which is which. A receiver
that has never signed in (no row in ``auth_sessions``) is refused unless forced: a typo in the
long ``oidc:<issuer>|<subject>`` key would otherwise hand the lists to nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from lib.auth_sessions import SessionStore
from lib.watchlists.db import auth_sessions_t, owners_t, watchlists_t
from lib.watchlists.db import insert_ignore as _insert_ignore
from lib.watchlists.store import WatchlistStore
from lib.watchlists.validate import (
    LOCAL_OWNER,
    MAX_LISTS_PER_OWNER,
    WatchlistError,
    clean_owner,
    name_key,
)


class AssignError(WatchlistError):
    """Nothing was moved; the message says why and what to do."""


@dataclass(frozen=True)
class OwnerSummary:
    owner: str
    lists: int


def owners(store: WatchlistStore) -> list[OwnerSummary]:
    """Every owner with at least one list, with their list count (for choosing --from/--to)."""
    q = (
        sa.select(watchlists_t.c.owner, sa.func.count().label("n"))
        .group_by(watchlists_t.c.owner)
        .order_by(watchlists_t.c.owner)
    )
    with store.engine.connect() as conn:
        return [OwnerSummary(r.owner, int(r.n)) for r in conn.execute(q)]


def signed_in_owners(store: WatchlistStore) -> dict[str, str | None]:
    """Every owner key that has signed in on this database, with its latest verified email."""
    return SessionStore(store.engine).signed_in_owners()


def assign_lists(
    store: WatchlistStore, from_owner: str, to_owner: str, *, force: bool = False
) -> list[str]:
    """Move all of ``from_owner``'s lists to ``to_owner``; returns the moved names.

    ``to_owner`` must have signed in at least once (or be ``local``), unless ``force``. The
    receiver is marked as seeded, so signing in later does not add starter lists on top.
    """
    src_owner, dst_owner = clean_owner(from_owner), clean_owner(to_owner)
    if src_owner == dst_owner:
        raise AssignError("The source and target owner are the same; nothing was moved.")
    writer = store.engine.execution_options(rer_write=True)
    try:
        with writer.begin() as conn:
            if not force and dst_owner != LOCAL_OWNER:
                seen = sa.select(auth_sessions_t.c.id).where(auth_sessions_t.c.owner == dst_owner)
                if conn.execute(seen.limit(1)).first() is None:
                    raise AssignError(
                        f"Nothing was moved: {dst_owner!r} has never signed in here, so it may "
                        "be a typo. `scripts/watchlists.py owners` lists everyone who has "
                        "signed in; to hand lists to someone who will sign in later, add "
                        "--force."
                    )
            q = sa.select(watchlists_t.c.id, watchlists_t.c.owner, watchlists_t.c.name).where(
                watchlists_t.c.owner.in_([src_owner, dst_owner])
            )
            if conn.dialect.name == "postgresql":
                q = q.with_for_update()  # SQLite: BEGIN IMMEDIATE already holds the write lock
            rows = conn.execute(q.order_by(watchlists_t.c.created_at, watchlists_t.c.id)).all()
            moving = [r for r in rows if r.owner == src_owner]
            # Keys recomputed from the names: older rows stored a key that did not fold width.
            kept = {name_key(r.name): r.name for r in rows if r.owner == dst_owner}
            if not moving:
                raise AssignError(f"{src_owner!r} has no watchlists; nothing was moved.")
            clashes = [r.name for r in moving if name_key(r.name) in kept]
            if clashes:
                raise AssignError(
                    f"Nothing was moved: {dst_owner!r} already has watchlists named "
                    + ", ".join(repr(n) for n in clashes)
                    + ". Rename or delete one of each pair first, then run assign again."
                )
            if len(moving) + len(kept) > MAX_LISTS_PER_OWNER:
                raise AssignError(
                    f"Nothing was moved: {dst_owner!r} would have {len(moving) + len(kept)} "
                    f"watchlists; the limit is {MAX_LISTS_PER_OWNER}."
                )
            conn.execute(
                watchlists_t.update()
                .where(watchlists_t.c.owner == src_owner)
                .values(
                    owner=dst_owner,
                    updated_at=store.now(),
                    revision=watchlists_t.c.revision + 1,  # a tab open on the old owner is stale
                )
            )
            _insert_ignore(conn, owners_t, {"owner": dst_owner, "starters_seeded_at": store.now()})
    except IntegrityError:
        # A clashing list was created between our read and the update (unique owner+name).
        raise AssignError(
            f"Nothing was moved: {dst_owner!r} created a watchlist with one of these names "
            "meanwhile. Run assign again to see which."
        ) from None
    return [r.name for r in moving]
