"""Imports run one way (STYLE.md, "Which app knows which"; issue 11): a tasks module is a thin
adapter that imports services, so no services module imports a tasks module (a service that must
trigger follow-up work names the task: ``participants.jobs.enqueue_on_commit``), and
``participants`` <- ``trainings`` <- ``incentives``: no app imports one above it.

Every import statement counts, also one inside a function."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
APPS = ["participants", "trainings", "incentives", "complaints", "reports", "sandbox", "prakerja"]
LAYERS = {"participants": 0, "trainings": 1, "incentives": 2}


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
    assert "participants.services.revocation" in imported_names(
        found["participants.services.blacklist"], "participants.services.blacklist"
    )  # imported inside add_to_blacklist


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
