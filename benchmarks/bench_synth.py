"""Throughput of the embedded corpus generator: sessions per second with images, and size on disk.

    python benchmarks/bench_synth.py --sessions 5000 50000 --workers 2

Each size is generated into a temporary directory (removed afterwards unless ``--keep DIR``) and a
table is printed: sessions, seconds, sessions/s, images, images/s, MB on disk (file bytes and
allocated blocks) and mean bytes per image.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from mtdialog.data.synth import generate_corpus


def disk_usage(root: Path) -> tuple[int, int]:
    """(sum of file sizes, bytes of allocated blocks) under ``root``."""
    size = blocks = 0
    for dirpath, _, files in os.walk(root):
        for name in files:
            st = os.stat(os.path.join(dirpath, name))
            size += st.st_size
            blocks += st.st_blocks * 512
    return size, blocks


def run(sessions: int, workers: int | None, keep: Path | None) -> dict:
    base = Path(tempfile.mkdtemp(prefix="bench-synth-")) if keep is None else keep
    out = base / f"synth-{sessions}"
    try:
        start = time.perf_counter()
        generate_corpus(out, sessions=sessions, annotated=min(600, sessions), seed=0, workers=workers,
                        progress=False)
        seconds = time.perf_counter() - start
        meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
        images = meta["counts"]["image_files"]
        image_bytes = sum(p.stat().st_size for p in (out / "images").iterdir())
        size, blocks = disk_usage(out)
    finally:
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return {"sessions": sessions, "seconds": seconds, "sessions_per_s": sessions / seconds, "images": images,
            "images_per_s": images / seconds, "mb": size / 2**20, "mb_blocks": blocks / 2**20,
            "bytes_per_image": image_bytes / max(images, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all CPUs)")
    parser.add_argument("--keep", type=Path, default=None, help="write corpora here and keep them")
    args = parser.parse_args(argv)
    print(f"workers: {args.workers or os.cpu_count()}")
    print(f"{'sessions':>9s} {'seconds':>8s} {'sess/s':>8s} {'images':>8s} {'img/s':>8s} {'MB files':>9s} "
          f"{'MB disk':>8s} {'B/image':>8s}")
    for n in args.sessions:
        r = run(n, args.workers, args.keep)
        print(f"{r['sessions']:9d} {r['seconds']:8.1f} {r['sessions_per_s']:8.0f} {r['images']:8d} "
              f"{r['images_per_s']:8.0f} {r['mb']:9.1f} {r['mb_blocks']:8.1f} {r['bytes_per_image']:8.0f}",
              flush=True)


if __name__ == "__main__":
    main()
