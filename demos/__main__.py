"""``python -m demos``: list the demos, or run one: ``python -m demos NAME [options]``."""

from __future__ import annotations

import importlib
import sys

from demos import DEMOS


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "list"):
        print("usage: python -m demos NAME [--quick] [--seed S] [--out DIR] [...]\n")
        width = max(map(len, DEMOS))
        for name, line in DEMOS.items():
            print(f"  {name:<{width}}  {line}")
        print("\n`python -m demos NAME --help` shows a demo's options.")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in DEMOS:
        print(f"unknown demo {name!r}; the demos are: {', '.join(DEMOS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"demos.{name}")
    module.main(rest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
