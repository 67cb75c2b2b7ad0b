"""Pin files derived from pyproject.toml: the full lock (``make lock``), the lower bounds (``make
test-oldest``) and the held pins alone (``make test-latest``).

    python tools/pins.py lock --hold "torch==2.14.1 torchvision==0.29.1" --no-deps PKG --out constraints.txt
    python tools/pins.py lowest --hold "torch==2.14.1 torchvision==0.29.1" > lowest.txt
    python tools/pins.py held --hold "torch==2.14.1 torchvision==0.29.1" > held.txt

``lock`` runs pip-compile (pip-tools, in the interpreter running this script) over the declared ranges
with the held pins as constraints, then adds pins for pip and for the packages installed with
``--no-deps``, which pip-compile cannot resolve (their metadata asks for what the lock must not
hold). ``lowest`` pins every dependency of pyproject.toml (the test extra included) to its lower
bound, except the held packages.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def declared() -> list[str]:
    """Every requirement string of pyproject.toml: dependencies, then each extra's."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project.get("optional-dependencies", {})
    return list(project["dependencies"]) + [r for name in sorted(extras) for r in extras[name]]


def lowest(requirements: list[str], held: list[str]) -> list[str]:
    """``name==lower bound`` for each requirement (held names replaced by their held pins)."""
    held_names = {_REQUIREMENT.match(h).group(1).lower() for h in held}
    out = list(held)
    for requirement in requirements:
        name, _, spec = _REQUIREMENT.match(requirement).groups()
        if name.lower() in held_names:
            continue
        bound = re.search(r">=\s*([^,;\s]+)", spec)
        if bound is None:
            sys.exit(f"pyproject.toml: {requirement!r} has no lower bound (>=) to test")
        out.append(f"{name}=={bound.group(1)}")
    return out


def newest_without_dependencies(packages: list[str]) -> list[str]:
    """``name==version`` of the newest release of each package, resolved by pip without dependencies."""
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps",
                             "--quiet", "--report", "-", *packages], check=True, capture_output=True, text=True)
    return [f"{i['metadata']['name']}=={i['metadata']['version']}" for i in json.loads(result.stdout)["install"]]


def lock(held: list[str], no_deps: list[str], out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        constraints = Path(tmp) / "held.txt"
        constraints.write_text("\n".join(held) + "\n", encoding="utf-8")
        subprocess.run([sys.executable, "-m", "piptools", "compile", "--quiet", "--upgrade", "--extra", "test",
                        "--allow-unsafe", "--strip-extras", "--no-emit-index-url", "--no-emit-find-links",
                        "--constraint", str(constraints), "--output-file", str(out), str(ROOT / "pyproject.toml")],
                       check=True, env={**os.environ, "CUSTOM_COMPILE_COMMAND": "make lock"})
    text = out.read_text(encoding="utf-8")
    # pip-compile names the held pins by their temporary file; say what they are instead
    text = re.sub(r"#\s+-c .*held\.txt", "#   the torch/torchvision pair held in the Makefile (TORCH_PAIR)", text)
    extra = newest_without_dependencies(["pip", *no_deps])
    text += "\n# Not resolved by pip-compile: pip itself, and packages installed with --no-deps (Makefile NO_DEPS)\n"
    text += "".join(f"{pin}\n" for pin in extra)
    out.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("lock", "lowest", "held"))
    parser.add_argument("--hold", default="", help="space-separated name==version pins to keep as they are")
    parser.add_argument("--no-deps", default="", help="space-separated packages installed without dependencies")
    parser.add_argument("--out", type=Path, default=ROOT / "constraints.txt", help="lock file to write")
    args = parser.parse_args()
    held = args.hold.split()
    if args.what == "lock":
        lock(held, args.no_deps.split(), args.out)
    else:
        print("\n".join(lowest(declared(), held) if args.what == "lowest" else held))


if __name__ == "__main__":
    main()
