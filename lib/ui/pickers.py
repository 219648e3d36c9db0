"""A selectbox whose value is an id that survives its label changing.

Streamlit keeps a selectbox's selection as its *label* (the formatted option) and matches it
against this run's labels. A label that carries a name or a count ("US revival (6)") stops
matching once the list is renamed or grows, and the selection silently falls back to the first
option: the next action then lands on the wrong list. Here the id lives in session state under
its own key, and the widget is re-seeded from it on every run, so the label is formatting only.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

import streamlit as st

K = TypeVar("K", bound=Hashable)


def _written(key: str) -> str:
    return f"_{key}__seeded"


def id_selectbox(
    label: str,
    labels: Mapping[K, str],
    *,
    key: str,
    state_key: str,
    default: Callable[[], K],
    help: str | None = None,
    dg: Any = None,
) -> K:
    """Pick one of ``labels`` (id -> label, in order); returns the id, kept in ``state_key``.

    ``session_state[state_key]`` is the truth: a user's pick is adopted from the widget when it
    differs from what this function seeded last run (a new choice, or state set by a test or a
    link); an id no longer in ``labels`` falls back to ``default()``.
    """
    ss = st.session_state
    if key in ss:
        pick = ss[key]
        if _hashable(pick) and pick in labels and pick != ss.get(_written(key), _Missing):
            ss[state_key] = pick
    current = ss.get(state_key, _Missing)
    if not _hashable(current) or current not in labels:
        current = default()
    ss[state_key] = current
    ss[key] = current
    ss[_written(key)] = current
    (dg or st).selectbox(
        label,
        list(labels),
        format_func=lambda i: labels.get(i, str(i)),
        key=key,
        help=help,
    )
    return current


class _Missing:
    """Never an option: ``ss.get(key, _Missing)`` tells "absent" from a stored None."""


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
