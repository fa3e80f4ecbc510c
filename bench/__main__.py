"""`make bench` / `python -m bench [name ...] [-- args]`: run the benchmarks in bench/.

Each benchmark is a module `bench/<name>.py` with `main(argv: list[str]) -> None` that
prints its results (ratios against a baseline measured in the same run) and says which
section of docs/benchmarks.md they belong to. With no names, every module runs; a name may
be spelt with hyphens (`search-relevance` runs bench/search_relevance.py)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def main() -> None:
    argv = sys.argv[1:]
    extra: list[str] = []
    if "--" in argv:
        idx = argv.index("--")
        argv, extra = argv[:idx], argv[idx + 1 :]
    names = [n.replace("-", "_") for n in argv] or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}")
    for name in names:
        print(f"=== bench/{name}.py ===", flush=True)
        importlib.import_module(f"bench.{name}").main(extra)


if __name__ == "__main__":
    main()
