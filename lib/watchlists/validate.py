"""Watchlist rules that need no database: names, notes, owners, and the errors users see."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

#: Owner used when Streamlit authentication is not configured or nobody is signed in.
LOCAL_OWNER = "local"


MAX_NAME_LEN = 60


MAX_NOTE_LEN = 500


MAX_OWNER_LEN = 320


MAX_LISTS_PER_OWNER = 100


MAX_SYMBOLS_PER_LIST = 200


MAX_IMPORT_BYTES = 256 * 1024


UNKNOWN_SYMBOL_NOTE = "unknown — will resolve from Yahoo when online"


#: Bidi embedding/override/isolate controls: they can make a name display as something else.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class WatchlistError(ValueError):
    """A user-facing problem; the message is a full sentence, safe to show verbatim."""


class WatchlistNotFoundError(WatchlistError, LookupError):
    """The list does not exist *for this owner* (another owner's list is indistinguishable)."""


class DuplicateNameError(WatchlistError):
    """Names are unique per owner, ignoring case and width ("Mp" == "ＭＰ")."""


class StaleWatchlistError(WatchlistError):
    """The list changed since the caller read it (another tab or user); nothing was written."""


#: What a refused stale write tells the user; the page reloads the list after showing it.
STALE_MESSAGE = (
    "This list changed in another tab or window, so nothing was changed; it has been "
    "reloaded. Check it and try again."
)


class ImportProblem(WatchlistError):
    """A rejected import file; nothing was written."""


@dataclass(frozen=True)
class NewItem:
    """A symbol to add, already validated, with an optional note."""

    symbol: str
    note: str = ""


def _reject_controls(text: str, what: str, *, allow_newlines: bool = False) -> None:
    for ch in text:
        if allow_newlines and ch in "\n\t":
            continue
        if ch in _BIDI_CONTROLS:
            raise WatchlistError(
                f"The {what} contains a right-to-left override or similar invisible "
                "formatting character; please remove it."
            )
        if unicodedata.category(ch) in ("Cc", "Cs"):
            raise WatchlistError(f"The {what} contains control characters or binary data.")


def _reject_invisible(text: str, what: str) -> None:
    """Format characters (Cf: zero-width space, word joiner, BOM...) and line/paragraph
    separators make two names look identical; the emoji joiner between two symbols is fine."""
    for i, ch in enumerate(text):
        cat = unicodedata.category(ch)
        if (
            ch == "\u200d"
            and 0 < i < len(text) - 1
            and unicodedata.category(text[i - 1]) in ("So", "Sk")
        ):
            continue
        if cat in ("Cf", "Zl", "Zp"):
            raise WatchlistError(
                f"The {what} contains an invisible character (U+{ord(ch):04X}), which would "
                "make it look like another name; please remove it."
            )


def clean_name(name: object) -> str:
    """Trimmed, NFC-normalised list name; unicode welcome, invisible tricks rejected."""
    if not isinstance(name, str):
        raise WatchlistError("A watchlist name must be text.")
    text = unicodedata.normalize("NFC", name).strip()
    if not text:
        raise WatchlistError("Please give the watchlist a name.")
    if len(text) > MAX_NAME_LEN:
        raise WatchlistError(
            f"Watchlist names can be at most {MAX_NAME_LEN} characters (this one has {len(text)})."
        )
    _reject_controls(text, "name")
    _reject_invisible(text, "name")
    return text


def name_key(name: str) -> str:
    """Identity of a name, ignoring case and compatibility forms: "US Revival" ==
    "us revival", and full-width "Ｍｐ" == "Mp" (NFKC case folding, as Unicode defines it)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def clean_note(note: object) -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise WatchlistError("A note must be text.")
    text = unicodedata.normalize("NFC", note).strip()
    if len(text) > MAX_NOTE_LEN:
        raise WatchlistError(
            f"Notes can be at most {MAX_NOTE_LEN} characters (this one has {len(text)})."
        )
    _reject_controls(text, "note", allow_newlines=True)
    return text


def clean_owner(owner: object) -> str:
    if not isinstance(owner, str) or not owner.strip():
        raise WatchlistError("Watchlists need an owner.")
    text = owner.strip()
    if len(text) > MAX_OWNER_LEN:
        raise WatchlistError("The owner identity is too long.")
    _reject_controls(text, "owner")
    return text


def symbol_status(symbol: str, known: set[str]) -> str:
    """ "" for symbols we know or have data for, else a flag telling the user what will happen."""
    return "" if symbol in known else UNKNOWN_SYMBOL_NOTE
