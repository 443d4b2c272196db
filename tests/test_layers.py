"""The layers' import rule: planning never loads rendering, rendering reads only plan types and shared leaves,
nothing below orchestration imports it, and orchestration's packages, one per concern, import only downward."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_PLANNING = ("render.compose", "render.encode", "render.backends", "torch", "diffusers")
ORCHESTRATION = REPO / "generator" / "orchestration"
CONCERNS = ("stores", "executors", "runs", "batches", "studio", "cli")
"""Orchestration's packages, lowest first: a module imports only its own package and those before it."""


def _modules(package: str) -> list[str]:
    root = REPO / package.replace(".", "/")
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _imports(module: str) -> set[str]:
    """Every module ``module``'s source imports, at the top or inside functions."""
    path = REPO / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = REPO / module.replace(".", "/") / "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)  # a name may be a submodule
    return found


@pytest.mark.parametrize("module", _modules("generator.planning") + _modules("generator.core"))
def test_a_planning_module_loads_no_renderer_encoder_compositor_torch_or_diffusers(module: str) -> None:
    probe = (
        f"import importlib, json, sys; importlib.import_module({module!r}); "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('render', 'torch', 'diffusers'))))"
    )
    loaded = json.loads(
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO).stdout
    )
    bad = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN_IN_PLANNING)]
    assert bad == [], f"importing {module} loaded {', '.join(bad)}"


def test_the_command_line_starts_without_torch_diffusers_ray_or_boto3() -> None:
    heavy = ("torch", "diffusers", "ray", "boto3")
    probe = f"import sys, generator.orchestration.cli; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("module", _modules("render"))
def test_a_rendering_module_imports_only_plan_types_and_shared_leaves(module: str) -> None:
    ours = {name for name in _imports(module) if name.split(".")[0] == "generator"}
    allowed = ("generator.core", "generator.planning.plan")
    bad = sorted(
        name
        for name in ours
        if not any(name == a or name.startswith(a + ".") for a in allowed) or name == "generator.planning.plan.compile"
    )
    assert bad == [], f"{module} imports {', '.join(bad)}"


@pytest.mark.parametrize("module", _modules("generator.core") + _modules("generator.planning") + _modules("render"))
def test_nothing_below_orchestration_imports_it(module: str) -> None:
    upward = sorted(name for name in _imports(module) if name.startswith("generator.orchestration"))
    assert upward == [], f"{module} imports {', '.join(upward)}"


@pytest.mark.parametrize("module", _modules("generator.core"))
def test_shared_leaves_import_nothing_of_adgen_above_them(module: str) -> None:
    above = sorted(
        name for name in _imports(module) if name.split(".")[0] == "render" or name.startswith("generator.planning")
    )
    assert above == [], f"{module} imports {', '.join(above)}"


def test_orchestration_is_one_package_per_concern_and_nothing_loose() -> None:
    packages = sorted(path.parent.name for path in ORCHESTRATION.glob("*/__init__.py"))
    loose = sorted(path.name for path in ORCHESTRATION.glob("*.py") if path.name != "__init__.py")
    assert (packages, loose) == (sorted(CONCERNS), [])


@pytest.mark.parametrize("concern", CONCERNS)
def test_each_orchestration_package_says_what_it_holds(concern: str) -> None:
    tree = ast.parse((ORCHESTRATION / concern / "__init__.py").read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"generator/orchestration/{concern}/__init__.py has no docstring"


@pytest.mark.parametrize("module", [m for m in _modules("generator.orchestration") if m.count(".") >= 2])
def test_an_orchestration_module_imports_only_its_own_package_and_those_below(module: str) -> None:
    rank = {concern: n for n, concern in enumerate(CONCERNS)}
    own = rank.get(module.split(".")[2], len(CONCERNS))
    above = sorted(
        {
            ".".join(name.split(".")[:4])
            for name in _imports(module)
            if name.startswith("generator.orchestration.") and rank.get(name.split(".")[2], len(CONCERNS)) > own
        }
    )
    assert above == [], f"{module} imports {', '.join(above)}"


def test_no_module_is_over_400_lines() -> None:
    sizes = {
        path.relative_to(REPO).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for package in ("generator", "render")
        for path in (REPO / package).rglob("*.py")
    }
    assert {name: lines for name, lines in sizes.items() if lines > 400} == {}
