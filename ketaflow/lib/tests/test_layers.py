"""The apps stand in layers: every import points down, and no file circle exists in an app.

Why a test: "arrows point down" (docs/architecture.md) is what lets an app be read, tested and
changed without the ones above it, and it erodes one convenient import at a time. The graph is
built from the source with `ast`, counting every import a file makes, including those inside
functions and under `TYPE_CHECKING` (a lazy import is still a dependency; it only hides the
cycle from Python). Tests and migrations are left out: tests may reach anywhere, and migrations
name models by string. A string foreign key to a higher app ("portal.PortalLink") is not an
import and is allowed; the model's docstring says so.

A new app must be placed in `LAYERS` before this test passes.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # ketaflow/
PACKAGE = ROOT.name

# The layer order, lowest first: an import may point to its own app or to any lower row.
# Apps on one row may not import each other. Copied into docs/architecture.md.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("clinical",),  # the core: plain Python, no Django, no I/O, no clock
    ("lib",),  # helpers every app uses: clock, units, forms, htmx, display, charts
    ("audit",),  # the append-only access log
    ("accounts",),  # clinics, users, roles, 2FA
    ("mail",),  # the email outbox every app writes to, and the job that sends it
    ("ops",),  # heartbeats, readiness checks, metrics, JSON logs (the HL7 listener beats)
    ("patients",),  # the chart
    ("auditlog",),  # reading the audit trail (pages and API)
    ("questionnaires",),  # rating scales and the risk alerts their answers raise
    ("courses",),  # protocols, courses, appointments, follow-up
    ("safety",),  # long-term monitoring: labs, LUTS screens, safety reviews
    ("screening",),  # eligibility (reads safety), consent
    ("treatments",),  # sessions, dosing, vitals, the risk assessment and its gate
    ("dispensing",),  # take-home supply: authorisations, dispensing, stock, PDMP checks
    ("homediary",),  # the patient's home dose diary and the alerts it raises
    # the patient portal; bedside monitors (HL7 v2); emergency access (break-glass)
    ("portal", "devices", "emergency"),
    ("synthetic", "outcomes", "pk_explorer"),  # made-up histories; dashboards; PK pages
    ("fhir", "web", "cli"),  # FHIR R4B; the page shell and worklists; command line
    ("scheduler",),  # the periodic jobs: calls the services of the apps below (fhir too)
    ("api",),  # the API shell: mounts every app's router
    ("urls", "settings", "wsgi", "asgi", "manage"),  # the site's wiring (urls mounts the API)
    ("demo", "backup"),  # the demo clinic seeds everything; whole-database backup and restore
)
LEVEL = {app: level for level, row in enumerate(LAYERS) for app in row}


def _skipped(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return (
        "tests" in parts
        or "migrations" in parts
        or path.name.startswith("test_")
        or path.name == "conftest.py"
    )


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every non-test, non-migration file of the package."""
    found: dict[str, Path] = {}
    for path in sorted(ROOT.rglob("*.py")):
        if _skipped(path) or ".venv" in path.parts:
            continue
        parts = (PACKAGE, *path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def app_of(module: str) -> str:
    """`ketaflow.portal.views` -> `portal`; `ketaflow.urls` -> `urls`; the package -> ''."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module a dotted name lives in (`a.b.Thing` -> `a.b`), or None outside the package."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imported_names(node: ast.AST, package: str) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        yield base
        yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {imported module: line of the first such import}, all imports counted."""
    modules = _modules()
    graph: dict[str, dict[str, int]] = defaultdict(dict)
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            for name in _imported_names(node, package):
                if not name.startswith(PACKAGE):
                    continue
                target = _resolve(name, modules)
                if target is not None and target != module:
                    line = getattr(node, "lineno", 0)
                    graph[module][target] = min(graph[module].get(target, line), line)
    return graph


def _where(module: str) -> str:
    path = _modules()[module]
    return str(path.relative_to(ROOT.parent))


def _cycles(nodes: list[str], succ: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(succ.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(succ.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_every_app_has_a_place_in_the_layer_order() -> None:
    apps = {app_of(m) for m in _modules()} - {""}
    missing = sorted(apps - LEVEL.keys())
    assert not missing, (
        f"Apps missing from LAYERS in {Path(__file__).name}: {', '.join(missing)}. "
        "Place each new app on the row of the lowest layer it may stand on."
    )


def test_no_import_points_up_the_layer_order() -> None:
    upward = []
    for module, targets in sorted(import_graph().items()):
        low = app_of(module)
        for target, line in sorted(targets.items()):
            high = app_of(target)
            if high and low != high and LEVEL.get(high, -1) >= LEVEL.get(low, -1):
                upward.append(
                    f"{_where(module)}:{line} imports {target}: "
                    f"{low} (layer {LEVEL.get(low)}) may not import {high} "
                    f"(layer {LEVEL.get(high)})"
                )
    assert not upward, "Imports pointing up the layer order:\n" + "\n".join(upward)


def test_no_file_circle_within_an_app() -> None:
    graph = import_graph()
    modules = sorted(_modules())
    within = {m: {t for t in graph.get(m, {}) if app_of(t) == app_of(m)} for m in modules}
    circles = _cycles(modules, within)
    lines = [
        " <-> ".join(circle)
        + "\n    "
        + "\n    ".join(
            f"{_where(m)}:{graph[m][t]} imports {t}"
            for m in circle
            for t in sorted(within[m] & set(circle))
        )
        for circle in circles
    ]
    assert not circles, (
        "Files of one app importing each other in a circle (import from the defining module, "
        "or move the shared part down into a module both use):\n" + "\n".join(lines)
    )
