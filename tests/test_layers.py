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


# The intended order of the package's layers, lowest first: a module may import its own layer
# and the layers below it, never one above (imports inside functions included). Same-layer
# packages may import each other only one way (no cycles).
LAYERS = (
    ("core",),  # errors, events, faults, snapshot, files: the top-level modules
    ("dsp", "mappings"),  # pure numbers: voices, limiter; loss -> detune, gradient -> warp
    ("learners",),  # cubic, knot, RuLer, Q-learning: numpy + numba
    ("audio",),  # the engine: pyo, the routes to a sound server
    ("midi",),  # files and ports (rtmidi binds to the libraries audio.native chose)
    ("commands",),  # the command language, consoles, OSC, scores
    ("visuals",),  # pygame, rasters, warps, scenes
    ("pieces",),  # the glue: events and commands -> learners, sound and pictures
    ("runtime",),  # render, play, perform, sessions
    ("cli", "bench", "api"),  # the front ends; api: synthlearn/__init__'s lazy facade
)
RANK = {package: i for i, layer in enumerate(LAYERS) for package in layer}
TOP_LEVEL = {"__init__": "api", "__main__": "cli", "cli": "cli"}  # the rest are core
# Imports that still cross the order upward: issue 20 empties this list; nothing may be added.
KNOWN_UPWARD: set[tuple[str, str]] = set()


def _layer(parts: tuple[str, ...]) -> str:
    """The layer of module ``synthlearn.<parts>``: its package, or for a top-level module
    (``synthlearn/errors.py``) core, unless TOP_LEVEL says otherwise."""
    if len(parts) == 1 and not (ROOT / parts[0]).is_dir():
        return TOP_LEVEL.get(parts[0], "core")
    return parts[0]


def _package_imports(path: Path):
    """(line, module) of every synthlearn import in ``path``, in functions too."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, a.name) for a in node.names
                        if a.name.split(".")[0] == "synthlearn")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                node.module.split(".")[0] == "synthlearn":
            if node.module == "synthlearn":
                yield from ((node.lineno, f"synthlearn.{a.name}") for a in node.names)
            else:
                yield node.lineno, node.module


def _upward() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        src = _layer(rel.with_suffix("").parts)
        for _, module in _package_imports(path):
            parts = tuple(module.split(".")[1:])
            dst = _layer(parts) if parts else "api"
            if RANK[dst] > RANK[src]:
                found.add((rel.as_posix(), module))
    return found


def test_every_package_has_its_place_in_the_order():
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages <= set(RANK), packages - set(RANK)


def test_no_module_imports_a_layer_above_its_own():
    upward = _upward()
    assert upward - KNOWN_UPWARD == set(), f"upward imports: {sorted(upward - KNOWN_UPWARD)}"
    assert KNOWN_UPWARD - upward == set(), "fixed: drop from KNOWN_UPWARD " + repr(
        sorted(KNOWN_UPWARD - upward))


def test_no_two_packages_import_each_other():
    edges = set()
    for path in ROOT.rglob("*.py"):
        src = _layer(path.relative_to(ROOT).with_suffix("").parts)
        for _, module in _package_imports(path):
            parts = tuple(module.split(".")[1:])
            dst = _layer(parts) if parts else "api"
            if dst != src:
                edges.add((src, dst))
    known = {(_layer(tuple(a.removesuffix(".py").split("/"))), _layer(tuple(b.split(".")[1:])))
             for a, b in KNOWN_UPWARD}
    cycles = {tuple(sorted(e)) for e in edges if (e[1], e[0]) in edges} - \
        {tuple(sorted(e)) for e in known}
    assert cycles == set(), cycles


# Private modules (``_kernels``) imported from outside their package: issue 20 empties this.
KNOWN_PRIVATE: set[tuple[str, str]] = set()


def _private_imports() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            modules = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                    node.module.startswith("synthlearn."):
                modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                modules = [a.name for a in node.names if a.name.startswith("synthlearn.")]
            for module in modules:
                parts = module.split(".")[1:]
                private = [p for p in parts if p.startswith("_") and not p.startswith("__")]
                if private and parts[0] != rel.parts[0] and \
                        (ROOT.joinpath(*parts[:parts.index(private[0]) + 1])
                         .with_suffix(".py").exists()):
                    found.add((rel.as_posix(), ".".join(["synthlearn", *parts[:parts.index(
                        private[0]) + 1]])))
    return found


def test_private_modules_are_imported_only_by_their_own_package():
    private = _private_imports()
    assert private - KNOWN_PRIVATE == set(), f"private imports: {sorted(private - KNOWN_PRIVATE)}"
    assert KNOWN_PRIVATE - private == set(), f"fixed: drop {sorted(KNOWN_PRIVATE - private)}"
