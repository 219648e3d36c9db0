"""The company/ETF universe and symbol validation."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd

from lib.paths import DATA_DIR

UNIVERSE_PATH = DATA_DIR / "universe.csv"

#: Yahoo symbols: letters, digits and . - = ^ (indices like ^GSPC, FX like CNY=X).
SYMBOL_RE = re.compile(r"^\^?[A-Z0-9][A-Z0-9.\-=]{0,14}$")
MAX_SYMBOL_LEN = 16


def symbol_key(symbols: Iterable[str]) -> tuple[str, ...]:
    """A small, order-free cache key for a set of symbols: upper-cased, unique, sorted."""
    return tuple(sorted({s.upper() for s in symbols}))


class InvalidSymbolError(ValueError):
    """Text that cannot be a Yahoo symbol; the message says why, safe to show verbatim."""


@lru_cache(maxsize=4)
def _read_universe(path: Path, mtime_ns: int) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["listing_date"] = pd.to_datetime(df["listing_date"].replace("", None))
    return df


def load_universe(path: Path = UNIVERSE_PATH) -> pd.DataFrame:
    """The universe table; empty strings (not NaN) for optional text columns."""
    return _read_universe(path, path.stat().st_mtime_ns).copy()


def normalise_symbol(text: str) -> str:
    """Validate and canonicalise user-typed text into a Yahoo symbol, or raise.

    Hostile input (control characters, bidi marks, markup, very long strings) is rejected
    with a message that never echoes more than a short, sanitised excerpt.
    """
    if not isinstance(text, str):
        raise InvalidSymbolError("A symbol must be text.")
    raw = unicodedata.normalize("NFKC", text).strip()
    if not raw:
        raise InvalidSymbolError("Empty symbol.")
    shown = sanitize_excerpt(raw)
    if len(raw) > MAX_SYMBOL_LEN:
        raise InvalidSymbolError(f"'{shown}' is too long for a symbol (max {MAX_SYMBOL_LEN}).")
    if any(unicodedata.category(ch)[0] == "C" for ch in raw):
        raise InvalidSymbolError(f"'{shown}' contains control or invisible characters.")
    sym = raw.upper()
    if not SYMBOL_RE.match(sym):
        raise InvalidSymbolError(
            f"'{shown}' is not a valid Yahoo symbol: use letters, digits and . - = ^ "
            "(e.g. MP, LYC.AX, 600111.SS)."
        )
    return sym


def sanitize_excerpt(text: str, limit: int = 24) -> str:
    """A short printable excerpt of untrusted text for error messages."""
    cleaned = "".join(
        ch if unicodedata.category(ch)[0] not in ("C",) else "\N{REPLACEMENT CHARACTER}"
        for ch in text
    )
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def parse_symbol_list(text: str) -> tuple[list[str], list[str]]:
    """Split pasted text like "MP, LYC.AX 600111.SS" into (valid symbols, error messages)."""
    good: list[str] = []
    errors: list[str] = []
    for token in re.split(r"[\s,;]+", text or ""):
        if not token:
            continue
        try:
            sym = normalise_symbol(token)
        except InvalidSymbolError as exc:
            errors.append(str(exc))
            continue
        if sym not in good:
            good.append(sym)
    return good, errors


def symbol_label(universe: pd.DataFrame, symbol: str) -> str:
    """'MP — MP Materials (NYSE, USD)' for known symbols, the bare symbol otherwise."""
    row = universe.loc[universe["symbol"] == symbol]
    if row.empty:
        return symbol
    r = row.iloc[0]
    return f"{symbol} — {r['name']} ({r['exchange']}, {r['currency']})"


def basket_members(universe: pd.DataFrame, basket: str) -> list[str]:
    return universe.loc[universe["basket"] == basket, "symbol"].tolist()
