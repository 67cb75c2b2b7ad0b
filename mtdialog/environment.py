"""The installed package versions: recorded by every run, compared with a lock, shown by ``mtdialog env``.

A run directory's ``packages.txt`` is a constraints file (``name==version`` lines, comments above
them saying where and when), so the environment of an old result is rebuilt with
``make install LOCK=RUN_DIR/packages.txt VENV=.venv-old`` or ``pip install -c RUN_DIR/packages.txt -e .``.
"""

from __future__ import annotations

import platform
import re
import sys
import time
from importlib import metadata
from pathlib import Path

from mtdialog import __version__

PACKAGES_FILE = "packages.txt"
#: The libraries whose versions decide whether a result reproduces (shown first by ``mtdialog env``).
KEY_PACKAGES = ("torch", "torchvision", "transformers", "tokenizers", "accelerate", "deepspeed", "peft",
                "timm", "evaluate", "datasets", "numpy")
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


def normalize(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_packages() -> dict[str, str]:
    """Every distribution installed in this interpreter -> its version, by normalised name (sorted);
    mtdialog itself is left out (its source is the run's code, not an index release)."""
    found = {normalize(d.metadata["Name"]): d.version for d in metadata.distributions() if d.metadata["Name"]}
    found.pop("mtdialog", None)
    return dict(sorted(found.items()))


def write_packages(directory: str | Path) -> Path:
    """Write ``packages.txt`` (the constraints that rebuild this environment) into ``directory``."""
    path = Path(directory) / PACKAGES_FILE
    header = [(f"# Packages this run used: mtdialog {__version__}, Python {platform.python_version()} "
              f"({sys.platform}, {platform.machine()}), written {time.strftime('%Y-%m-%d %H:%M:%S')}."),
              "# Rebuild: make install LOCK=<this file> VENV=.venv-old  (or pip install -c <this file> -e .)"]
    lines = header + [f"{name}=={version}" for name, version in installed_packages().items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_pins(path: str | Path) -> dict[str, str]:
    """The ``name==version`` pins of a constraints file, by normalised name."""
    pins = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            pins[normalize(match.group(1))] = match.group(2)
    return pins


def lock_mismatches(lock: str | Path) -> list[str]:
    """How the installed packages differ from the pins of ``lock``: one line per package installed at
    another version or installed without a pin (an empty list when the environment is the lock's)."""
    pins, installed = read_pins(lock), installed_packages()
    problems = [f"{name} {version} is installed, {lock} pins {pins[name]}"
                for name, version in installed.items() if name in pins and pins[name] != version]
    problems += [f"{name} {version} is installed but {lock} has no pin for it"
                 for name, version in installed.items() if name not in pins]
    return problems


def report() -> str:
    """Python, mtdialog, the key libraries (then every other package) and the accelerator, one per line."""
    import torch

    packages = installed_packages()
    lines = [f"mtdialog {__version__}", f"python {platform.python_version()} ({sys.platform}, {platform.machine()})",
             f"accelerator: {'CUDA ' + torch.version.cuda if torch.cuda.is_available() else 'none (CPU)'}", ""]
    lines += [f"{name:<14} {packages.get(name, 'not installed')}" for name in KEY_PACKAGES]
    return "\n".join(lines)


def _command(args) -> int:
    from mtdialog.errors import ConfigError

    if args.check is None:
        print(report())
        return 0
    if not Path(args.check).is_file():
        raise ConfigError("lock file not found", path=str(args.check))
    problems = lock_mismatches(args.check)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} difference(s) from {args.check}: run `make lock` to update the lock, or "
              f"reinstall (`make clean install`)", file=sys.stderr)
        return 1
    print(f"every installed package is pinned by {args.check}, at its version")
    return 0


def register(subparsers) -> None:
    """``mtdialog env``: the environment, or how it differs from a lock file."""
    parser = subparsers.add_parser(
        "env", help="show the installed versions, or check them against a lock",
        description="Print Python, mtdialog and the versions of the libraries a result depends on; with "
                    "--check, compare every installed package with a constraints file (constraints.txt, "
                    "or a run directory's packages.txt) and exit 1 on any difference.")
    parser.add_argument("--check", metavar="LOCK", help="constraints file to compare the environment with")
    parser.set_defaults(func=_command)


__all__ = ["KEY_PACKAGES", "PACKAGES_FILE", "installed_packages", "lock_mismatches", "read_pins", "report",
           "write_packages"]
