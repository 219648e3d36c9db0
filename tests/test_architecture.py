"""The structure rules the folder tree promises, checked on the source (ast), so they cannot drift.

- no import circle anywhere in lib/;
- only lib/ui/ imports streamlit;
- pages/ and app.py import only from lib.ui (plus streamlit and UPPER_CASE constants);
- no view module imports another view (a shared piece is a widget or domain code);
- no file in lib/ is over 450 lines (one job per file);
- nothing reaches into Streamlit's private modules except lib/ui/st_internals.py, which
  tests/test_st_internals.py checks against the installed version.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from lib.paths import ROOT


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def lib_modules(root: Path = ROOT, package: str = "lib") -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}


def imports(tree: ast.AST) -> Iterator[tuple[str, list[str]]]:
    """(module, imported names) for every import statement, function-local ones included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, [a.name for a in node.names]


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """module -> the modules of ``modules`` it imports (``from pkg import sub`` -> pkg.sub)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for mod, names in imports(ast.parse(path.read_text(), str(path))):
            for target in [f"{mod}.{n}" for n in names if f"{mod}.{n}" in modules] or [mod]:
                if target in modules and target != name:
                    edges.add(target)
        graph[name] = edges
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One import circle as a path (first == last), or None."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def streamlit_importers(modules: Mapping[str, Path]) -> list[str]:
    """Modules outside lib.ui that import streamlit."""
    return sorted(
        name
        for name, path in modules.items()
        if not (name == "lib.ui" or name.startswith("lib.ui."))
        and any(
            mod == "streamlit" or mod.startswith("streamlit.")
            for mod, _ in imports(ast.parse(path.read_text()))
        )
    )


def page_import_problems(source: str) -> list[str]:
    """What a page imports beyond lib.ui, streamlit and UPPER_CASE constants from lib."""
    problems = []
    for mod, names in imports(ast.parse(source)):
        if mod in ("__future__", "streamlit") or mod == "lib.ui" or mod.startswith("lib.ui."):
            continue
        if mod.startswith("lib.") and names and all(n.isupper() for n in names):
            continue  # constants (e.g. CATEGORIES, RANGES)
        problems.append(f"{mod}: {', '.join(names) or '(module)'}")
    return problems


VIEWS = "lib.ui.views"
MAX_LINES = 450
ST_WRAPPER = "lib.ui.st_internals"


def view_to_view_imports(modules: Mapping[str, Path]) -> list[tuple[str, str]]:
    """(view, view it imports) for every import between two modules of lib.ui.views."""
    graph = import_graph(modules)
    return sorted(
        (name, target)
        for name, targets in graph.items()
        if name.startswith(VIEWS + ".")
        for target in targets
        if target.startswith(VIEWS + ".")
    )


def long_files(modules: Mapping[str, Path], limit: int = MAX_LINES) -> dict[str, int]:
    """Modules over ``limit`` lines, with their length."""
    out = {}
    for name, path in modules.items():
        n = len(path.read_text().splitlines())
        if n > limit:
            out[name] = n
    return out


def _is_submodule(name: str) -> bool:
    try:
        return importlib.util.find_spec(f"streamlit.{name}") is not None
    except (ImportError, ValueError):
        return False


def private_streamlit_imports(sources: Mapping[str, str]) -> list[str]:
    """Imports of Streamlit beyond ``import streamlit`` and its public top-level names.

    ``import streamlit.x``, ``from streamlit.x import y`` and ``from streamlit import
    <submodule>`` all reach into internals that move between releases.
    """
    found = []
    for name, source in sources.items():
        if name == ST_WRAPPER:
            continue
        for mod, names in imports(ast.parse(source)):
            if mod.startswith("streamlit."):
                found.append(f"{name}: {mod}")
            elif mod == "streamlit":
                found += [f"{name}: streamlit.{n}" for n in names if _is_submodule(n)]
    return sorted(found)


def _sources() -> dict[str, str]:
    files = {**lib_modules(), **{p.stem: p for p in PAGES}}
    return {name: path.read_text() for name, path in files.items()}


PAGES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


# --------------------------------------------------------------------------- the rules


def test_lib_has_no_import_circle() -> None:
    modules = lib_modules()
    assert len(modules) > 30  # the scan sees the packages, not just lib/*.py
    assert find_cycle(import_graph(modules)) is None


def test_only_lib_ui_imports_streamlit() -> None:
    assert streamlit_importers(lib_modules()) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_pages_import_only_lib_ui_and_constants(page: Path) -> None:
    assert page_import_problems(page.read_text()) == []


def test_no_view_imports_another_view() -> None:
    assert view_to_view_imports(lib_modules()) == []


def test_no_lib_file_over_the_line_limit() -> None:
    assert long_files(lib_modules()) == {}


def test_only_the_wrapper_reaches_into_streamlit_internals() -> None:
    assert private_streamlit_imports(_sources()) == []


# --------------------------------------------------------------------------- the checks can fail


def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    for rel, text in files.items():
        path = tmp_path / "lib" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return lib_modules(tmp_path)


def test_cycle_check_finds_a_circle_through_a_package(tmp_path: Path) -> None:
    modules = _package(
        tmp_path,
        {
            "__init__.py": "",
            "prices/__init__.py": "",
            "prices/fx.py": "from lib.prices.store import PRICE_FIELDS\n",
            "prices/store.py": "def f():\n    from lib.prices import fx\n",
        },
    )
    assert find_cycle(import_graph(modules)) == [
        "lib.prices.fx",
        "lib.prices.store",
        "lib.prices.fx",
    ]


def test_streamlit_check_finds_a_domain_module_importing_it(tmp_path: Path) -> None:
    modules = _package(
        tmp_path,
        {
            "__init__.py": "",
            "ui/frame.py": "import streamlit as st\n",
            "events/study.py": "from streamlit import session_state\n",
        },
    )
    assert streamlit_importers(modules) == ["lib.events.study"]


@pytest.mark.parametrize(
    ("source", "ok"),
    [
        ("from lib.ui import data, frame\nimport streamlit as st\n", True),
        ("from lib.datafiles import CATEGORIES, JURISDICTIONS\n", True),
        ("import pandas as pd\n", False),
        ("from lib.events import study as es\n", False),
        ("from lib.universe import InvalidSymbolError, normalise_symbol\n", False),
        ("from lib import ui\n", False),
    ],
)
def test_page_check_accepts_only_lib_ui_and_constants(source: str, ok: bool) -> None:
    assert (page_import_problems(source) == []) is ok


def test_view_check_finds_a_view_importing_a_view(tmp_path: Path) -> None:
    modules = _package(
        tmp_path,
        {
            "__init__.py": "",
            "ui/__init__.py": "",
            "ui/widgets.py": "",
            "ui/views/__init__.py": "",
            "ui/views/prices.py": "from lib.ui.views import policy\nfrom lib.ui import widgets\n",
            "ui/views/policy.py": "def f():\n    from lib.ui.views.home import x\n",
            "ui/views/home.py": "x = 1\n",
        },
    )
    assert view_to_view_imports(modules) == [
        ("lib.ui.views.policy", "lib.ui.views.home"),
        ("lib.ui.views.prices", "lib.ui.views.policy"),
    ]


def test_line_limit_check_finds_a_long_file(tmp_path: Path) -> None:
    modules = _package(
        tmp_path,
        {"__init__.py": "", "short.py": "x = 1\n" * 450, "long.py": "x = 1\n" * 451},
    )
    assert long_files(modules) == {"lib.long": 451}


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import streamlit as st\nfrom streamlit import session_state\n", []),
        (
            "from streamlit.delta_generator import DeltaGenerator\n",
            ["m: streamlit.delta_generator"],
        ),
        ("from streamlit import dataframe_util\n", ["m: streamlit.dataframe_util"]),
        ("import streamlit.runtime\n", ["m: streamlit.runtime"]),
        ("def f():\n    from streamlit.elements import vega_charts\n", ["m: streamlit.elements"]),
    ],
)
def test_private_import_check(source: str, found: list[str]) -> None:
    assert private_streamlit_imports({"m": source}) == found
    assert private_streamlit_imports({ST_WRAPPER: source}) == []
