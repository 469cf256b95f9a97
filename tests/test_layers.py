"""The layering of shared/DESIGN.md, read from the source: no module of ``paper_mtl`` imports a higher layer.

Bottom to top: foundations (profiles, progress, published, claims, files) → tasks/metrics → data and models (which know
nothing of each other) → the concept modules (weighting, attacks, theory, grouping, gradients, ...) →
training/sweep → experiments → plots (which draw what experiments return and import no experiment) → reporting and
the runners (budget, pipeline, site, the command line)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "paper_mtl"
LAYERS = [
    {"__init__", "profiles", "progress", "published", "claims", "files"},
    {"tasks", "metrics"},
    {"data", "models"},
    {"weighting", "attacks", "adversarial", "theory", "grouping", "gradients", "complexity", "cost"},
    {"training", "sweep"},
    {"experiments"},
    {"plots"},
    {"reporting", "budget", "site", "pipeline", "__main__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
FORBIDDEN = {("plots", "experiments"), ("data", "models"), ("models", "data")}


def part(module: str) -> str:
    """The top-level part of ``paper_mtl`` a dotted module name belongs to."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "__init__"


def imports() -> list[tuple[str, str, str]]:
    """(file, importer's part, imported part) for every import of ``paper_mtl`` in the package's source."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        importer = part(".".join(p for p in rel.parts if p != "__init__"))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "paper_mtl":
                targets = ([a.name if a.name in RANK else "__init__" for a in node.names] if node.module == "paper_mtl"
                           else [part(node.module)])
            elif isinstance(node, ast.Import):
                targets = [part(a.name) for a in node.names if a.name.split(".")[0] == "paper_mtl"]
            else:
                continue
            found += [(str(path.relative_to(PACKAGE.parent)), importer, t) for t in targets if t != importer]
    return found


def test_every_part_of_the_package_has_a_layer():
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py") or (p.is_dir() and (p / "__init__.py").exists())}
    assert parts == set(RANK), f"give these parts a layer: {sorted(parts - set(RANK))}; gone: {sorted(set(RANK) - parts)}"


def test_no_module_imports_a_higher_layer():
    upward = [f"{file}: {importer} imports {imported}" for file, importer, imported in imports()
              if RANK[imported] > RANK[importer] or (importer, imported) in FORBIDDEN]
    assert not upward, "imports against shared/DESIGN.md's layers:\n" + "\n".join(upward)


def test_the_reader_finds_imports():  # the check can fail: it sees the imports it must judge
    found = imports()
    assert ("paper_mtl/training.py", "training", "weighting") in found
    assert ("paper_mtl/sweep.py", "sweep", "__init__") in found  # from paper_mtl import __version__
    assert len(found) > 50


def imported_modules(source: str, package: str) -> list[str]:
    """Every module an import statement of ``source`` (a module of ``package``) may name: ``from a import b`` gives
    ``a`` and ``a.b``; relative imports are resolved against ``package``."""
    modules = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            modules += [module] + [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            modules += [a.name for a in node.names]
    return modules


def converter_imports() -> list[str]:
    """Modules outside ``paper_mtl.data`` that import a dataset converter (``paper_mtl.data.converters``)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(PACKAGE / "data"):
            continue
        package = ".".join(path.relative_to(PACKAGE.parent).parent.parts)
        found += [str(path.relative_to(PACKAGE.parent)) for m in imported_modules(path.read_text(), package)
                  if m.startswith("paper_mtl.data.converters")]
    return found


def test_the_converter_check_sees_every_form_of_import():
    forms = ["from paper_mtl.data.converters.nyuv2 import X", "from paper_mtl.data import converters",
             "import paper_mtl.data.converters.pascal", "from ..data.converters import pascal"]
    for form in forms:
        assert any(m.startswith("paper_mtl.data.converters") for m in imported_modules(form, "paper_mtl.experiments")), form
    assert not any(m.startswith("paper_mtl.data.converters")
                   for m in imported_modules("from paper_mtl.data import readers", "paper_mtl.experiments"))


def test_no_module_outside_data_imports_a_converter():
    """Experiments and plots read prepared data through :mod:`paper_mtl.data.readers` (its names, class counts)
    and derive targets with :mod:`paper_mtl.data.edges`; a converter is what ``data_scripts/`` runs."""
    assert not converter_imports(), f"import the readers' constants instead: {converter_imports()}"
