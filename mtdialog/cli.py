"""The ``mtdialog`` command line: one sub-command per concern, each defined next to its code.

Each module named in ``COMMANDS`` has ``register(subparsers)``, which adds its parser and sets
``func``; heavy imports happen inside the command functions so that ``--help`` stays fast.
User errors (:class:`~mtdialog.data.schema.DataError`, bad arguments) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from mtdialog import __version__
from mtdialog.data.schema import DataError

COMMANDS = (
    "mtdialog.data.cli",
    "mtdialog.metrics.cli",
    "mtdialog.baselines.cli",
    "mtdialog.train",
    "mtdialog.inference_cli",
    "mtdialog.environment",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mtdialog",
        description="Multitask, multimodal Chinese customer-service dialogue (JDDC 2.1 tasks).")
    parser.add_argument("--version", action="version", version=f"mtdialog {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DataError as e:
        print(f"mtdialog: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
