"""kandoo.events is the contract: pure, importing no broker, database or HTTP client."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import kandoo.events

FORBIDDEN = ("aiokafka", "faststream", "pymongo", "motor", "fastapi", "httpx", "requests")


def test_no_module_of_kandoo_events_imports_io_libraries() -> None:
    package_dir = Path(kandoo.events.__file__).parent
    offenders = []
    for path in package_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_every_module_loads_none_of_them() -> None:
    modules = [m.name for m in pkgutil.walk_packages(kandoo.events.__path__, "kandoo.events.")]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
    assert len(modules) >= 10
