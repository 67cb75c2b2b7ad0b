"""``mtdialog serve --checkpoint DIR``: the HTTP service and its chat page."""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path

from mtdialog.serve.requests import Limits

_LIMIT_HELP = {
    "max_body_bytes": "largest request body", "max_turns": "most turns in a session",
    "max_images": "most images in a session (and files in a request)", "max_image_bytes": "largest image file",
    "max_image_pixels": "most pixels in an image (checked before it is decoded)",
    "max_text_chars": "longest turn text", "timeout_s": "seconds a request may wait for the model before a 503"}


def register(subparsers) -> None:
    """Add ``serve`` to the ``mtdialog`` parser."""
    from mtdialog.inference_cli import DTYPES

    p = subparsers.add_parser(
        "serve", help="serve a checkpoint over HTTP, with a chat page to try it",
        description="Load a checkpoint once and answer HTTP requests: POST /v1/predict (a session in the "
                    "native JSON shape, images inline as base64 or uploaded as multipart; the answer is the "
                    "record `mtdialog predict` writes), POST /v1/images (upload a photo), GET /healthz, the "
                    "OpenAPI page at /docs, and a chat page at / (type customer turns, attach a photo, see "
                    "the response, rewrite, summary and discourse arcs). Requests are answered one at a time.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--checkpoint", required=True, type=Path, metavar="DIR", help="a checkpoint directory")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (0: any free port, printed)")
    p.add_argument("--kb", type=Path, metavar="FILE", help="product knowledge base (kb.jsonl lines)")
    p.add_argument("--storage", type=Path, metavar="DIR",
                   help="directory of uploaded images (default: a temporary directory removed at exit)")
    p.add_argument("--num-beams", type=int, default=4, metavar="N", help="beam width of generated answers")
    p.add_argument("--dtype", choices=DTYPES, default="float32", help="weights and activations")
    for f in fields(Limits):
        p.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default,
                       help=_LIMIT_HELP[f.name])
    p.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    import socket

    import uvicorn

    from mtdialog.serve.app import create_app
    from mtdialog.serve.service import PredictionService

    limits = Limits(**{f.name: getattr(args, f.name) for f in fields(Limits)})
    if any(getattr(limits, f.name) <= 0 for f in fields(Limits)):
        raise SystemExit("mtdialog serve: error: every limit must be positive")
    service = PredictionService(args.checkpoint, storage=args.storage, kb=args.kb, num_beams=args.num_beams,
                                dtype=args.dtype, limits=limits)
    listener = socket.create_server((args.host, args.port))  # bound here, so that port 0 can be printed
    host, port = listener.getsockname()[:2]
    print(f"mtdialog: serving {args.checkpoint} ({', '.join(service.tasks)}) at http://{host}:{port}/ "
          f"(chat page; API: /v1/predict, docs: /docs)", file=sys.stderr, flush=True)
    config = uvicorn.Config(create_app(service), log_level="warning", timeout_keep_alive=5,
                            limit_concurrency=64)
    uvicorn.Server(config).run(sockets=[listener])
    return 0
