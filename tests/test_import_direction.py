"""Imports run one way (STYLE.md, "Which app knows which"): a tasks module is a thin adapter
that imports services, so no services module imports a tasks module (a service that must trigger
follow-up work names the task: ``prakerja.jobs.enqueue_on_commit``);
``participants`` <- ``trainings`` <- ``incentives``: no app imports one above it; the shared
plumbing in ``prakerja/`` (clock, jobs, SMS, prepared queries, ...) imports no app, so every app
can use it; and no two modules import each other, directly or through others (a circle hides
which one the reader must understand first, and only works while one side imports inside a
function).

Every import statement counts, also one inside a function."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
APPS = ["participants", "trainings", "incentives", "complaints", "reports", "sandbox", "prakerja"]
LAYERS = {"participants": 0, "trainings": 1, "incentives": 2}
# The modules of ``prakerja/`` that wire the apps together and so may import them; every other
# module there is plumbing the apps share, and imports no app (nor one of these).
WIRING = {
    "prakerja.admin_site",  # the staff site gives every model admin the personal-data policy
    "prakerja.management.commands.seed_demo",  # every app's demo data
    "prakerja.metrics.collector",  # every app's gauges
    "prakerja.metrics.views",  # /metrics, served from the collector
    "prakerja.uploads",  # an oversized upload is refused with the participants' refusal page
    "prakerja.urls",  # every app's pages
}


def modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def imported_names(path: pathlib.Path, module: str) -> set[str]:
    """Every module (or module attribute) ``path`` imports, as absolute dotted names."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def is_services(module: str) -> bool:
    return "services" in module.split(".")


def is_tasks(name: str) -> bool:
    return "tasks" in name.split(".")


def test_the_walk_sees_the_services_and_the_function_level_imports():
    found = dict(modules())
    assert "incentives.services.sending" in found
    assert "complaints.services" in found
    assert "participants.refusals" in imported_names(
        found["prakerja.uploads"], "prakerja.uploads"
    )  # imported inside a function


def test_no_services_module_imports_a_tasks_module():
    offenders = sorted(
        f"{module} imports {name}"
        for module, path in modules()
        if is_services(module)
        for name in imported_names(path, module)
        if is_tasks(name)
    )
    assert offenders == []


@pytest.mark.parametrize("app", sorted(LAYERS))
def test_no_app_imports_one_above_it(app):
    offenders = sorted(
        f"{module} imports {name}"
        for module, path in modules()
        if module.split(".")[0] == app
        for name in imported_names(path, module)
        if LAYERS.get(name.split(".")[0], -1) > LAYERS[app]
    )
    assert offenders == []


def test_the_plumbing_in_prakerja_imports_no_app():
    found = dict(modules())
    assert set(found) >= WIRING
    offenders = sorted(
        f"{module} imports {name}"
        for module, path in found.items()
        if module.split(".")[0] == "prakerja" and module not in WIRING
        for name in imported_names(path, module)
        if (name.split(".")[0] in APPS and name.split(".")[0] != "prakerja")
        or any(name == wiring or name.startswith(wiring + ".") for wiring in WIRING)
    )
    assert offenders == []


def imported_modules(path: pathlib.Path, module: str, known: set[str]) -> set[str]:
    """The product modules ``path`` imports: ``from package import name`` counts as importing
    ``package.name`` when that is a module, else ``package``."""
    names = imported_names(path, module)
    return {
        name
        for name in names
        if name in known
        and name != module
        and not any(other.startswith(name + ".") and other in known for other in names)
    }


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
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
                    work.append((child, iter(sorted(graph[child]))))
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


def test_the_circle_finder_finds_a_circle_through_three_modules():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]


def test_no_two_product_modules_import_each_other():
    found = dict(modules())
    known = set(found)
    graph = {module: imported_modules(path, module, known) for module, path in found.items()}
    assert circles(graph) == []


def test_no_product_module_imports_the_test_framework():
    """What production runs does not lean on Django's test tools (requirements.txt may one day
    not ship what they pull in, and they patch settings globally)."""
    offenders = sorted(
        f"{module} imports {name}"
        for module, path in modules()
        for name in imported_names(path, module)
        if name == "django.test" or name.startswith(("django.test.", "unittest", "pytest"))
    )
    assert offenders == []
