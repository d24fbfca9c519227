"""The layout of lstm_ref.verify: public homes for shared helpers, one reading order, one GATES.

Oracles: the source files themselves, parsed with ``ast`` (what imports what,
what is defined where), and the package docstring's module map.
"""

import ast
import re
from pathlib import Path

import pytest

import lstm_ref
from lstm_ref import verify as V
from lstm_ref.params import GATES

VERIFY = Path(lstm_ref.__file__).parent / "verify"


def private_imports(source: str) -> list[str]:
    """``from .x import _name`` / ``from lstm_ref… import _name`` lines of a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ImportFrom):
            continue
        ours = node.level > 0 or (node.module or "").split(".")[0] == "lstm_ref"
        if not ours:
            continue
        module = "." * node.level + (node.module or "")
        found += [f"line {node.lineno}: from {module} import {a.name}"
                  for a in node.names if a.name.startswith("_")]
    return found


def modules():
    return sorted(p for p in VERIFY.glob("*.py") if p.name != "__init__.py")


def test_the_scan_finds_a_planted_private_import():
    planted = ("from __future__ import annotations\n"
               "from .prove import prove, _evaluator\n"
               "from lstm_ref.verify.numeric import _PREC\n"
               "from .numeric import evaluator\n")
    assert private_imports(planted) == ["line 2: from .prove import _evaluator",
                                        "line 3: from lstm_ref.verify.numeric import _PREC"]


@pytest.mark.parametrize("path", sorted(VERIFY.glob("*.py")), ids=lambda p: p.name)
def test_no_module_imports_a_private_name(path):
    bad = private_imports(path.read_text(encoding="utf-8"))
    assert not bad, f"{path.name} imports private names: {bad}"


def _map():
    """Module names of the reading-order map in verify's docstring, in order."""
    return re.findall(r"^\s*\d+\.\s+``(\w+)``", V.__doc__, flags=re.M)


def test_reading_order_map_lists_every_module_once():
    listed = _map()
    assert len(listed) == len(set(listed)), f"listed twice: {listed}"
    assert sorted(listed) == sorted(p.stem for p in modules())


def test_reading_order_map_never_points_forward():
    """A module imports only modules listed before it: the map is an order one can read in."""
    order = {name: k for k, name in enumerate(_map())}
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        used = {n.module.split(".")[0] for n in ast.walk(tree)
                if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module}
        later = sorted(m for m in used if order[m] >= order[path.stem])
        assert not later, f"{path.name} (#{order[path.stem] + 1}) imports later modules {later}"


def test_one_gates_definition():
    assert V.GATES is GATES is lstm_ref.GATES
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigned = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "GATES" for t in n.targets)]
        assert not assigned, f"{path.name} defines its own GATES (line {assigned})"


def test_one_relative_error_name():
    assert "rel_err" not in V.__all__ and not hasattr(V, "rel_err")
    from lstm_ref.verify import agree
    assert not hasattr(agree, "rel_err")


def test_public_names_resolve():
    for name in V.__all__:
        assert hasattr(V, name), name
