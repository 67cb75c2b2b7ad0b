"""The ``mtdialog`` command line: one sub-command per concern, each defined next to its code.

Each module named in ``COMMANDS`` has ``register(subparsers)``, which adds its parser and sets
``func``; heavy imports happen inside the command functions so that ``--help`` stays fast.
User errors (:class:`~mtdialog.errors.MTDialogError`, bad arguments) and operating-system errors
(a full disk, a read-only output) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from mtdialog import __version__
from mtdialog.errors import ConfigError, MTDialogError, one_line

COMMANDS = (
    "mtdialog.data.cli",
    "mtdialog.metrics.cli",
    "mtdialog.baselines.cli",
    "mtdialog.train",
    "mtdialog.inference_cli",
    "mtdialog.environment",
    "mtdialog.models_cli",
    "mtdialog.report.cli",
    "mtdialog.serve.cli",
    "mtdialog.systems.cli",
    "mtdialog.benchmark.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mtdialog",
        description="Multitask, multimodal Chinese customer-service dialogue (JDDC 2.1 tasks).")
    parser.add_argument("--version", action="version", version=f"mtdialog {__version__}")
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE_OR_FILE",
                        help="import a module (or a .py file) that registers tasks of your own, before the "
                             "command runs (repeatable); see docs/tasks.md")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        importlib.import_module(module).register(sub)
    return parser


def _pre_import(argv: list[str]) -> None:
    """Import the ``--import`` modules before the sub-commands are built, so that their tasks are
    among the choices."""
    from mtdialog.tasks import import_tasks

    sources = [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "--import"]
    sources += [arg.split("=", 1)[1] for arg in argv if arg.startswith("--import=")]
    for source in sources:
        try:
            import_tasks(source)
        except Exception as e:  # noqa: BLE001 (the user's module: any error it raises is its own)
            raise ConfigError(f"cannot import {source!r}: {type(e).__name__}: {e}", field="--import") from None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        _pre_import(argv)
    except MTDialogError as e:
        print(f"mtdialog: error: {e}", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        sys.stderr.close()
        return 0
    except (MTDialogError, OSError) as e:  # OSError: a full disk, a read-only or missing directory...
        print(f"mtdialog: error: {one_line(e)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
