"""Compile, once and on every core, the bytecode that the test workers would otherwise all compile at start-up.

bin/bootstrap does not compile the environment (the AWS and GCP SDKs alone are 250 MB of source, of which
the program imports a fifth). Left to import time, the xdist workers and the processes they start import
the same modules at the same moment on a fresh clone, and each compiles them: about 70 s of a 5-minute run
on 2 cores. This compiles this checkout's code, the environment's packages, and of the two big provider SDKs
only their top-level modules and the subpackages the program imports (`from pulumi_aws import ec2, …`);
anything missed still compiles on first import. Up-to-date bytecode is left alone, so a second run is quick.

    uv run python -m tests.support.bytecode      (bin/test runs it)
"""

from __future__ import annotations

import ast
import compileall
import sysconfig
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN_CODE = ("infra", "stacks", "policy", "tests", "bench", "app/src")
PROGRAM = ("infra", "stacks", "policy")
SPLIT_SDKS = ("pulumi_aws", "pulumi_gcp")  # only the parts the program imports


def imported_subpackages(sdk: str, sources: list[Path]) -> set[str]:
    """Subpackages of `sdk` that `from sdk import a, b` / `from sdk.a import …` name in `sources`."""
    found = set()
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == sdk:
                    found |= {alias.name for alias in node.names}
                elif node.module.startswith(sdk + "."):
                    found.add(node.module.split(".")[1])
    return found


def _python_files(path: Path) -> Iterator[Path]:
    if path.is_file():
        if path.suffix == ".py":
            yield path
    elif path.is_dir():
        yield from (p for p in path.rglob("*.py") if "__pycache__" not in p.parts)


def files_to_compile(site_packages: Path, root: Path = ROOT) -> list[Path]:
    sources = [p for d in PROGRAM for p in _python_files(root / d)]
    files = [p for d in OWN_CODE for p in _python_files(root / d)]
    for entry in site_packages.iterdir():
        if entry.name in SPLIT_SDKS:
            files += [p for p in entry.glob("*.py")]
            for sub in sorted(imported_subpackages(entry.name, sources)):
                files += _python_files(entry / sub)
        else:
            files += _python_files(entry)
    return files


def _compile(path: Path) -> bool:
    return bool(compileall.compile_file(path, quiet=2))


def main() -> None:
    files = files_to_compile(Path(sysconfig.get_paths()["purelib"]))
    with ProcessPoolExecutor() as pool:
        failed = [str(f) for f, ok in zip(files, pool.map(_compile, files, chunksize=200), strict=True) if not ok]
    # Some packages ship files that do not compile on this Python (templates, other versions): they are never
    # imported, and compileall leaves them out as it would under --compile-bytecode.
    print(f"bytecode: {len(files)} modules checked, {len(failed)} left as source")


if __name__ == "__main__":
    main()
