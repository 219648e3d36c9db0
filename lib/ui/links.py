"""Link values the pages read: each value a link carries is shown, or named in a note
(``state.link_value_note``) saying what the page did instead.

Two kinds of parameter:

* **Id links** (``?es_model=mean_adjusted``, ``?pt_event=E065``, ``?es_events=E065``,
  ``?scope=NdFeB+magnets``, ``?equity_symbols=MP``, ``?sup_company=MP``,
  ``?cat_h=past90``): the widget is not bound, because Streamlit's binding writes a
  selectbox's *label* to the URL and drops a value it does not recognise (or the default,
  ``?sup_company=MP``), the short id included, so the address bar lost the id, re-sharing
  opened another view and Back needed two presses (the drop pushed a history entry). Here
  the page reads the id (or an older link's label) itself, keeps the URL as the link wrote
  it while its meaning matches the widget, and writes ids when the user changes the choice;
  Back and Forward re-read the URL.
  Upstream: the bound URL value is always ``format_func``'s output (streamlit#14224, open; a
  ``query_param_func`` PR, #14259, was closed unmerged) and a value not in the formatted
  options is removed from the URL (#13922), so a short id cannot survive binding.
* **Checks for bound widgets**, run before the widget reads the URL: numbers Streamlit would
  reject or round (``inf``, ``1e999``, ``-3.5``, one end of a range), dates it cannot parse,
  text it would cut, and repeated values of a single-valued parameter.

The checks are pure functions returning the notes to show, so tests need no Streamlit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import streamlit as st

from lib.ui.state import link_value_note, link_values


@dataclass(frozen=True)
class LinkNote:
    """One note: the values, what they are (``label``) and what the page did instead."""

    label: str
    values: tuple[str, ...]
    outcome: str = "it was left out"


#: Values per note (``state.link_value_note`` shows at most six): more values, more notes,
#: so every value is named.
PER_NOTE = 6


def show(notes: Sequence[LinkNote]) -> None:
    for note in notes:
        values = list(dict.fromkeys(note.values))
        for i in range(0, len(values), PER_NOTE):
            link_value_note(note.label, values[i : i + PER_NOTE], note.outcome)


def check_values(key: str, label: str, allowed: Collection[str]) -> None:
    """Before a bound multi-valued widget: name every link value it cannot show (Streamlit
    drops them without a word), on the first run only."""
    if first_run(key):
        known = frozenset(allowed)
        if bad := [v for v in link_values(key) if v not in known]:
            show([LinkNote(label, tuple(bad))])


def given(key: str) -> list[str]:
    """Every value the URL gives for ``key``, empty ones included: a single-valued widget
    reads the last one even when it is empty (``state.link_values`` drops empties, as a
    multi-valued widget does)."""
    return list(st.query_params.get_all(key))


def first_run(key: str) -> bool:
    """True until the widget ``key`` has run once in this session (only then does the URL
    hold exactly what the link said)."""
    return key not in st.session_state


# --------------------------------------------------------------------------- pure checks

_INTEGER = re.compile(r"[+-]?\d+")


def _number(value: str) -> float | None:
    """The value as Streamlit's slider parses it (``float``), None when it cannot."""
    try:
        return float(value)
    except (ValueError, OverflowError):
        return None


def range_link_notes(values: Sequence[str], lo: int, hi: int, label: str) -> list[LinkNote]:
    """What a bound integer range slider does with a link's values, as notes.

    Streamlit reads two numbers; anything else (one end, a third value, text, a non-finite
    or out-of-range number) puts the slider back on its default, and a fraction is cut
    towards zero (``-3.5`` -> ``-3``).
    """
    if not values:
        return []
    default = "the page shows its default window"
    if len(values) != 2:
        what = "one end only" if len(values) == 1 else f"{len(values)} values"
        return [LinkNote(f"{label} ({what})", tuple(values), default)]
    numbers = [_number(v) for v in values]
    bad = [
        v for v, x in zip(values, numbers, strict=True)
        if x is None or not math.isfinite(x) or not lo <= x <= hi
    ]  # fmt: skip
    if bad:  # the other end goes too: name both
        return [LinkNote(label, tuple(values), f"{default} (it takes whole numbers {lo} to {hi})")]
    pairs = zip(values, numbers, strict=True)
    return [LinkNote(label, (v,), f"it was read as {int(x)}") for v, x in pairs if x != int(x)]


def link_day(value: str) -> date | None:
    """A date as Streamlit's date input parses a link: YYYY-MM-DD or YYYY/MM/DD, else None."""
    for fmt in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def date_range_link_notes(values: Sequence[str], lo: date, hi: date, label: str) -> list[LinkNote]:
    """What a bound date-range input does with a link's dates, as notes: a date it cannot
    read (compact ``20240101``, ISO week ``2024-W01-1``) or outside lo..hi resets the range;
    a third date is not used."""
    days = [link_day(v) for v in values]
    bad = [v for v, d in zip(values, days, strict=True) if d is None or not lo <= d <= hi]
    if bad:  # the whole range goes back to every date: name each value
        outcome = f"the page shows every date (dates are YYYY-MM-DD, {lo} to {hi})"
        return [LinkNote(label, tuple(values), outcome)]
    if len(values) > 2:
        return [LinkNote(label, tuple(values[2:]), "only a start and an end are used")]
    return []


def text_link_notes(values: Sequence[str], max_chars: int, label: str) -> list[LinkNote]:
    """A link's text longer than the input takes is cut; a repeated one uses the last."""
    notes = repeated_link_notes(values, label)
    if values and len(values[-1]) > max_chars:
        notes.append(
            LinkNote(label, (values[-1],), f"only its first {max_chars} characters are used")
        )
    return notes


def choice_link_notes(
    values: Sequence[str],
    allowed: Collection[str] | Callable[[str], bool],
    label: str,
    *,
    uses: str = "last",
) -> list[LinkNote]:
    """Values a single-choice widget cannot show, as notes. ``uses`` says which of several
    values Streamlit reads: ``"last"`` for a selectbox or checkbox, ``"first"`` for a
    single-select segmented control or pills. When that value is invalid the widget shows
    its default and every value is named; otherwise the others are."""
    if not any(values):  # absent, or given empty: the widget's default, as the link says
        return []
    ok = allowed if callable(allowed) else (lambda v, a=frozenset(allowed): v in a)
    read = values[0] if uses == "first" else values[-1]
    if not ok(read):
        return [LinkNote(label, tuple(values), "the page shows its default")]
    others = [v for v in values if v != read]
    which = "first" if uses == "first" else "last"
    return [_repeated(label, others, f"the {which}, ‘{read[:60]}’, is used")] if others else []


def repeated_link_notes(values: Sequence[str], label: str) -> list[LinkNote]:
    """A single-valued parameter given more than once: Streamlit uses the last value."""
    others = [v for v in values[:-1] if v != values[-1]] if values else []
    return [_repeated(label, others, f"the last, ‘{values[-1][:60]}’, is used")] if others else []


def _repeated(label: str, dropped: Sequence[str], outcome: str) -> LinkNote:
    return LinkNote(f"{label} (given more than once)", tuple(dropped), outcome)


BOOLEAN_LINK_VALUES = ("true", "false")


def is_link_boolean(value: str) -> bool:
    """A checkbox link value Streamlit reads: true/false in any case."""
    return value.lower() in BOOLEAN_LINK_VALUES


def resolve_ids(values: Sequence[str], labels: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(ids, unknown): each link value as an option id (the id itself, or an older link's
    label), in order without repeats, and the values that name no option."""
    by_label = {label: option for option, label in labels.items()}
    ids: list[str] = []
    bad: list[str] = []
    for v in values:
        option = v if v in labels else by_label.get(v)
        if option is None:
            bad.append(v)
        elif option not in ids:
            ids.append(option)
    return ids, bad


# --------------------------------------------------------------------------- id links


def _seen(key: str) -> tuple[str, ...] | None:
    return st.session_state.get(f"_{key}_link_seen")


def _raw(key: str) -> tuple[str, ...] | None:
    """The URL's values for ``key`` as given (None: no such parameter; ('',): given empty)."""
    values = st.query_params.get_all(key)
    return tuple(values) if values else None


def _as_list(value: object) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [] if value is None else [str(value)]


def seed_id_link(
    key: str,
    labels: Mapping[str, str],
    *,
    label: str,
    multi: bool = False,
    default: object = None,
) -> bool:
    """Before the widget ``key``: take the link's ids into its state on the first run, and
    again whenever the URL changed without the page writing it (Back, Forward, an edited
    address). Values naming no option are named; a single choice given twice uses the first;
    an empty value (``?es_events=``) means no choice, a missing one the default. True when
    it (re)seeded the widget from the URL.
    """
    ss = st.session_state
    raw = _raw(key)
    if key in ss and _seen(key) == raw:
        return False
    given_ = [v for v in raw or () if v]
    ids, bad = resolve_ids(given_, labels)
    notes = [LinkNote(label, tuple(bad))] if bad else []
    if not multi and len(ids) > 1:  # name the others as the link spelled them
        others = [v for v in given_ if v not in bad and resolve_ids([v], labels)[0] != ids[:1]]
        notes.append(LinkNote(f"{label} (one is shown)", tuple(others), f"‘{ids[0]}’ is shown"))
    show(notes)
    if ids:
        ss[key] = list(ids) if multi else ids[0]
    elif raw is not None and not bad:  # given empty: nothing chosen
        ss[key] = [] if multi else None
    elif key in ss or default is not None:  # no usable value: the default view
        ss[key] = list(_as_list(default)) if multi else default
    ss[f"_{key}_link_seen"] = raw
    return True


def sync_id_link(
    key: str, value: object, labels: Mapping[str, str], *, default: object = None
) -> None:
    """After the widget: make the URL say ``value`` by id. A link that already means it
    (an id, or an older label) is left exactly as it is, so opening a link changes nothing
    in the address bar; the default view has no parameter, an empty choice an empty one."""
    chosen, plain = _as_list(value), _as_list(default)
    raw = _raw(key)
    if raw is None:
        meant = plain
    else:
        ids, bad = resolve_ids([v for v in raw if v], labels)
        meant = ids if ids or not bad else plain
    if meant != chosen:
        if chosen == plain:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = chosen or ""
    st.session_state[f"_{key}_link_seen"] = _raw(key)
