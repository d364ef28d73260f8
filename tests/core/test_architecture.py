"""The house rules that a reader cannot check by eye across the whole tree: no import circles, core
never imports Streamlit, the device is chosen in one place, tests carry their markers."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "app", "bench", "harness")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside functions (a lazy import is still a dependency)."""
    found = set()
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def direct(targets: set[str], modules: set[str]) -> set[str]:
    """`from package import submodule` depends on the submodule, not on the package's __init__."""
    return {t for t in targets if t in modules and not any(other.startswith(t + ".") and other in targets
                                                           for other in modules)}


def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: direct(imports(path), set(found)) - {name} for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, result, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return result


def test_no_import_circles():
    found = cycles(graph())
    assert not found, found


def test_core_never_imports_streamlit_or_the_app():
    offenders = [f"{name} imports {target}" for name, path in modules().items() if name.startswith("core")
                 for target in imports(path) if target.split(".")[0] in ("streamlit", "app")]
    assert not offenders, offenders


def test_the_device_is_chosen_in_one_place():
    """Trainers take the device they are given; only the job manager and the command-line tools
    (benchmarks) ask `core.device` to pick one."""
    allowed = {"core.device", "core.jobs.manager", "core.__main__"}
    pickers = sorted(name for name, path in ((module_name(p), p) for package in ("core", "app")
                                             for p in (ROOT / package).rglob("*.py"))
                     if "pick_device" in path.read_text(encoding="utf-8") and name not in allowed)
    assert not pickers, pickers


def test_browser_tests_carry_the_e2e_marker():
    unmarked = [p.name for p in (ROOT / "tests" / "e2e").glob("test_*.py")
                if "pytest.mark.e2e" not in p.read_text(encoding="utf-8")]
    assert not unmarked, unmarked
