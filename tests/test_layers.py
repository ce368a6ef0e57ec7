"""The layout shows the layers: edge libraries only in their folders, few top-level modules."""

import ast
from pathlib import Path

import synthlearn

ROOT = Path(synthlearn.__file__).parent
HOMES = {"pyo": "audio", "pygame": "visuals", "mido": "midi", "rtmidi": "midi"}
MAX_TOP_LEVEL_MODULES = 8


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_edge_libraries_are_imported_only_in_their_folders():
    strays = []
    for path in sorted(ROOT.rglob("*.py")):
        folder = path.relative_to(ROOT).parts[0]
        for lib in _imports(path) & set(HOMES):
            if folder != HOMES[lib]:
                strays.append(f"{path.relative_to(ROOT)} imports {lib}")
    assert strays == []


def test_the_scan_sees_imports_inside_functions():
    assert {"pyo"} <= _imports(ROOT / "audio" / "engine.py")  # imported lazily, in functions
    assert "rtmidi" in _imports(ROOT / "midi" / "inputs.py")


def test_at_most_eight_modules_at_the_top():
    top = sorted(p.name for p in ROOT.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
