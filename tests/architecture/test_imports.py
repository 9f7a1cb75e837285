"""Apps depend one way (docs/architecture.md, issue #17).

Three rules, read from the source with ``ast`` (no import runs), over every module of the
packages listed in ``[tool.importlinter] root_packages`` (migrations left out):

(a) no import of another app inside a function: it hides a dependency from the reader and
    from ``lint-imports``' layers (an in-function import is how cycles were dodged);
(b) no guard for an app that is always installed: ``try: import ... except ImportError``
    around an app's import, or ``apps.is_installed("<app>")``;
(c) no import cycle between apps, counting the domain modules only. Interface modules (the
    ``-> **`` entries of the layers contract's ignore_imports: views, admin, urls, forms...)
    sit on top and may import any app. The contract's other ignore_imports (known offenders
    that still point up) are left out too: ``lint-imports`` lists them and fails on a new one;
(d) no domain module imports an interface module;
(e) no modules that import each other in a circle, inside an app too (any import: at the
    top, in a function, under TYPE_CHECKING), as grimp draws the graph.

KNOWN_IN_FUNCTION, KNOWN_GUARDS and KNOWN_MODULE_CYCLES list what is left to move. The
lists only shrink: a new offender fails, and so does an entry that no longer matches
anything (remove it). The self-checks below make sure the scan cannot pass by
seeing nothing.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# Reads code and configuration, no clock: not rerun at the shifted dates.
pytestmark = pytest.mark.date_independent

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
IMPORTLINTER = PYPROJECT["tool"]["importlinter"]
APPS: list[str] = IMPORTLINTER["root_packages"]
LAYERS = next(c for c in IMPORTLINTER["contracts"] if c["id"] == "layers")

# (a) Cross-app imports inside a function: "path -> imported module". Phase 2 moves each to
# the top of its module (where it points down) or moves the code up to the layer that may
# see both apps (lifecycle for processes).
KNOWN_IN_FUNCTION: set[str] = set()

# (b) Guards for installed apps: "path -> guarded app module" (or the app name for
# apps.is_installed). Every app is installed in every settings module: remove the guard.
KNOWN_GUARDS: set[str] = set()

# (e) Modules that import each other in a circle (any import: at the top, in a function,
# under TYPE_CHECKING). Break one by moving what both need into a module both import, or,
# for a task module, by queueing the task by name (core.task_queue). One circle a line.
KNOWN_MODULE_CYCLES: set[frozenset[str]] = set()


@dataclass(frozen=True)
class ImportSite:
    module: str  # the importing module
    path: str  # its file, relative to the repository
    line: int
    target: str  # the imported module (an app name alone for apps.is_installed)
    in_function: bool
    guarded: bool
    is_import: bool = True  # False: an apps.is_installed() check

    @property
    def app(self) -> str:
        return self.module.split(".")[0]

    @property
    def target_app(self) -> str:
        return self.target.split(".")[0]

    def key(self) -> str:
        return f"{self.path} -> {self.target}"


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return False
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        ast.unparse(n).split(".")[-1] in ("ImportError", "ModuleNotFoundError") for n in names
    )


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _resolve(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The modules an import statement imports (``from a.b import c`` is ``a.b.c`` when c is
    a module, else ``a.b``), as grimp and lint-imports count them."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, base] if base else package)
    targets = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}" if base else alias.name
        targets.append(candidate if _is_module(candidate) else base)
    return targets


def scan_source(
    source: str, *, module: str, path: str, is_package: bool = False
) -> list[ImportSite]:
    """Every import of one module, with whether it sits in a function or under a guard."""
    sites: list[ImportSite] = []

    def visit(node: ast.AST, in_function: bool, guarded: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for target in _resolve(node, module, is_package):
                sites.append(ImportSite(module, path, node.lineno, target, in_function, guarded))
            return
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "is_installed"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            sites.append(
                ImportSite(module, path, node.lineno, node.args[0].value, in_function, True, False)
            )
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        if isinstance(node, ast.Try) and any(_catches_import_error(h) for h in node.handlers):
            for child in node.body:
                visit(child, inner, True)
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                visit(child, inner, guarded)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, inner, guarded)

    visit(ast.parse(source), False, False)
    return sites


def app_modules() -> Iterator[tuple[str, Path]]:
    for app in APPS:
        for file in sorted((ROOT / app).rglob("*.py")):
            rel = file.relative_to(ROOT)
            if "migrations" in rel.parts:
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), file


def all_sites() -> list[ImportSite]:
    sites = []
    for module, file in app_modules():
        sites += scan_source(
            file.read_text(),
            module=module,
            path=str(file.relative_to(ROOT)),
            is_package=file.name == "__init__.py",
        )
    return sites


def cross_app(sites: Iterable[ImportSite]) -> list[ImportSite]:
    return [s for s in sites if s.target_app in APPS and s.target_app != s.app]


def expression_matches(expression: str, module: str) -> bool:
    """import-linter's module expressions: ``*`` is one name, ``**`` one or more."""
    parts = []
    for part in expression.split("."):
        parts.append({"*": r"[^.]+", "**": r"[^.]+(\.[^.]+)*"}.get(part, re.escape(part)))
    return re.fullmatch(r"\.".join(parts), module) is not None


def _ignored_imports() -> tuple[list[str], list[tuple[str, str]]]:
    """The layers contract's ignore_imports: interface module expressions (``X -> **``)
    and the known offenders (importer, imported)."""
    interfaces, offenders = [], []
    for entry in LAYERS["ignore_imports"]:
        importer, imported = (side.strip() for side in entry.split("->"))
        if imported == "**":
            interfaces.append(importer)
        else:
            offenders.append((importer, imported))
    return interfaces, offenders


def is_interface(module: str, interfaces: list[str]) -> bool:
    return any(expression_matches(e, module) for e in interfaces)


def app_cycles(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected groups of more than one app (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return cycles


def domain_edges(sites: Iterable[ImportSite]) -> list[tuple[str, str, ImportSite]]:
    interfaces, offenders = _ignored_imports()
    edges = []
    for s in cross_app(sites):
        if not s.is_import or is_interface(s.module, interfaces):
            continue
        if any(
            expression_matches(importer, s.module) and expression_matches(imported, s.target)
            for importer, imported in offenders
        ):
            continue
        edges.append((s.app, s.target_app, s))
    return edges


def _compare(found: set[str], known: set[str], what: str) -> None:
    new, stale = sorted(found - known), sorted(known - found)
    message = []
    if new:
        message.append(f"New {what} (see docs/architecture.md):\n  " + "\n  ".join(new))
    if stale:
        message.append(
            f"Gone from the code, remove from the allowlist in {Path(__file__).name}:\n  "
            + "\n  ".join(stale)
        )
    assert not message, "\n".join(message)


# --- the rules ---------------------------------------------------------------------------


def test_no_cross_app_import_inside_a_function():
    found = {s.key() for s in cross_app(all_sites()) if s.in_function and not s.guarded}
    _compare(found, KNOWN_IN_FUNCTION, "cross-app imports inside a function")


def test_no_guard_for_an_installed_app():
    found = {s.key() for s in all_sites() if s.guarded and s.target_app in APPS}
    _compare(found, KNOWN_GUARDS, "guards for an installed app")


def test_no_import_cycle_between_apps():
    edges = domain_edges(all_sites())
    cycles = app_cycles((a, b) for a, b, _ in edges)
    detail = [
        f"{s.path}:{s.line} {a} -> {s.target}"
        for a, b, s in edges
        if any(a in c and b in c for c in cycles)
    ]
    assert not cycles, f"Import cycles between apps {cycles}, through:\n  " + "\n  ".join(detail)


def module_edges(sites: Iterable[ImportSite], modules: Iterable[str]) -> set[tuple[str, str]]:
    """Importer -> imported, both modules of the apps (an import of a name inside a
    module counts as an import of that module, as grimp counts them)."""
    known = set(modules)
    return {(s.module, s.target) for s in sites if s.is_import and s.target in known} - {
        (m, m) for m in known
    }


def test_no_modules_import_each_other_in_a_circle():
    modules = [m for m, _file in app_modules()]
    edges = module_edges(all_sites(), modules)
    found = {frozenset(c) for c in app_cycles(edges)}
    message = []
    for cycle in sorted(found - KNOWN_MODULE_CYCLES, key=sorted):
        detail = [f"{a} -> {b}" for a, b in sorted(edges) if a in cycle and b in cycle]
        message.append("Modules importing each other: " + ", ".join(detail))
    for cycle in sorted(KNOWN_MODULE_CYCLES - found, key=sorted):
        message.append(f"Gone, remove from KNOWN_MODULE_CYCLES: {sorted(cycle)}")
    assert not message, "\n".join(message)


def test_no_domain_module_imports_an_interface_module():
    """Interfaces sit on top: a service or selector that imports a view, a form or a URL
    module would pull the interface layer under the domain."""
    interfaces, _ = _ignored_imports()
    found = [
        f"{s.path}:{s.line} -> {s.target}"
        for s in all_sites()
        if s.is_import
        and s.target_app in APPS
        and s.app != "config"
        and not is_interface(s.module, interfaces)
        and is_interface(s.target, interfaces)
    ]
    assert not found, "Domain modules importing interface modules:\n  " + "\n  ".join(found)


# --- self-checks: the scan sees what it must ---------------------------------------------


SAMPLE = """
from django.apps import apps
from contracts.models import Contract
from . import selectors
from .models import Thing

try:
    from billing.services import invoice_issue
except (ValueError, ModuleNotFoundError):
    invoice_issue = None


def step():
    from renewals.services import case_open
    if apps.is_installed("retention"):
        pass
    try:
        import notifications.services
    except ImportError:
        pass
    return lambda: __import__("os")
"""


def test_the_scanner_finds_imports_in_functions_and_guards():
    sites = scan_source(SAMPLE, module="customers.sample", path="customers/sample.py")
    by_target = {s.target: s for s in sites}
    assert not by_target["contracts.models"].in_function
    assert by_target["customers.selectors"].target_app == "customers"  # relative, a module
    assert "customers.models" in by_target  # `from .models import Thing`: the module
    assert by_target["billing.services"].guarded and not by_target["billing.services"].in_function
    assert by_target["renewals.services"].in_function and not by_target["renewals.services"].guarded
    assert by_target["retention"].guarded and by_target["retention"].in_function
    assert not by_target["retention"].is_import
    assert by_target["notifications.services"].guarded
    assert {s.target_app for s in cross_app(sites)} == {
        "contracts",
        "billing",
        "renewals",
        "retention",
        "notifications",
    }


def test_the_module_graph_sees_circles_through_functions_packages_and_type_checking():
    sources = {
        "customers.a": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import T\n",
            False,
        ),
        "customers.b": ("def f():\n    from .c import x\n", False),
        "customers.c": ("from customers.a import y\n", False),
        "customers.pkg": ("from .d import z\n", True),
        "customers.pkg.d": ("import customers.pkg\n", False),
    }
    sites = []
    for module, (source, is_package) in sources.items():
        sites += scan_source(source, module=module, path="-", is_package=is_package)
    for site in sites:  # the sample modules do not exist on disk: name them as modules
        object.__setattr__(site, "target", site.target.replace("customers.b.c", "customers.c"))
    edges = module_edges(sites, sources)
    assert sorted(map(sorted, app_cycles(edges))) == [
        ["customers.a", "customers.b", "customers.c"],
        ["customers.pkg", "customers.pkg.d"],
    ]


def test_the_cycle_finder_and_the_expressions_work():
    assert app_cycles([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]) == [["a", "b", "c"]]
    assert app_cycles([("a", "b"), ("b", "c"), ("a", "c")]) == []
    assert expression_matches("*.views", "renewals.views")
    assert not expression_matches("*.views", "renewals.views_extra")
    assert expression_matches("*.templatetags.**", "core.templatetags.staff_nav")
    assert not expression_matches("*.templatetags.**", "core.templatetags")
    assert expression_matches("core.demo.**", "core.demo.seed")


def test_the_scan_covers_every_app_and_sees_real_dependencies():
    modules = dict(app_modules())
    for app in APPS:
        assert any(m == app or m.startswith(app + ".") for m in modules), app
    assert len(modules) > 200
    edges = {(a, b) for a, b, _ in domain_edges(all_sites())}
    # A few dependencies every version of RenewDesk has: the domain graph is not empty.
    assert {("contracts", "customers"), ("contracts", "core"), ("renewals", "contracts")} <= edges
    interfaces, offenders = _ignored_imports()
    assert is_interface("contracts.views", interfaces)
    assert is_interface("core.demo", interfaces) and is_interface("core.demo.seed", interfaces)
    assert not is_interface("contracts.services", interfaces)
    # Each known offender still names real modules (a typo would hide nothing).
    for importer, imported in offenders:
        assert any(expression_matches(importer, m) for m in modules), importer
        assert any(expression_matches(imported, m) for m in modules), imported
