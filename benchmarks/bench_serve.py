"""Load on ``mtdialog serve``: N concurrent clients on loopback for a bounded time, per client count.

    python benchmarks/bench_serve.py --checkpoint runs/tiny/best --corpus data/jddc21-synth --clients 1 4 16

The service runs in its own process (``mtdialog serve``, ``--threads`` torch threads); each client is a
thread with one keep-alive connection, sending ``POST /v1/predict`` with a test session and its images
inline (base64), sessions taken in turn. For each client count, after one warm-up request per client,
requests run for ``--seconds``; the table gives the requests answered, throughput, latency percentiles
(p50/p95/p99, from sending to the last byte of the answer) and the errors (any status but 200, or a
failed connection). The service answers one request at a time, so throughput stays flat as clients
are added and latency grows with the queue.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]


def requests_of(corpus: Path, count: int) -> list[bytes]:
    """``count`` JSON request bodies: test sessions (those with images first) with their images inline."""
    from mtdialog.data.native import Corpus

    source = Corpus(corpus)
    sessions = sorted(source.sessions("test"), key=lambda s: not s.image_ids())[:count]
    bodies = []
    for session in sessions:
        record = {k: v for k, v in session.to_dict().items() if k not in ("annotations", "meta")}
        images = {i: base64.b64encode(source.image_path(i).read_bytes()).decode("ascii") for i in session.image_ids()}
        bodies.append(json.dumps({"session": record, "images": images}, ensure_ascii=False).encode("utf-8"))
    return bodies


def load(url: str, bodies: list[bytes], clients: int, seconds: float) -> dict:
    """Run ``clients`` clients for ``seconds``; their latencies (s) and errors."""
    parts = urlsplit(url)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    next_body = iter(range(10**9))
    start_line = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)

        def ask() -> tuple[float, str | None]:
            with lock:
                body = bodies[next(next_body) % len(bodies)]
            sent = time.perf_counter()
            try:
                connection.request("POST", "/v1/predict", body, {"Content-Type": "application/json"})
                reply = connection.getresponse()
                reply.read()
                error = None if reply.status == 200 else f"status {reply.status}"
            except (OSError, http.client.HTTPException) as e:
                connection.close()
                error = f"{type(e).__name__}: {e}"
            return time.perf_counter() - sent, error

        ask()  # warm-up
        start_line.wait()
        while time.perf_counter() < stop_at[0]:
            seconds_taken, error = ask()
            with lock:
                (errors.append(error) if error else latencies.append(seconds_taken))
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + 1e9  # the clients wait at the start line first
    start_line.wait()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    for thread in threads:
        thread.join()
    return {"latencies": latencies, "errors": errors, "wall": time.perf_counter() - began}


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main(argv: list[str] | None = None) -> None:
    from mtdialog.serve.child import serve_in_child

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=ROOT / "runs" / "tiny" / "best")
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "jddc21-synth",
                        help="native corpus whose test sessions are sent")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16], help="concurrent clients, per row")
    parser.add_argument("--seconds", type=float, default=30, help="measured seconds per row")
    parser.add_argument("--sessions", type=int, default=40, help="distinct sessions sent, in turn")
    parser.add_argument("--num-beams", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the service")
    args = parser.parse_args(argv)

    bodies = requests_of(args.corpus, args.sessions)
    sizes = [len(b) for b in bodies]
    print(f"{len(bodies)} sessions of {args.corpus} test, {statistics.mean(sizes) / 1024:.1f} KB per request on "
          f"average (images inline); {args.checkpoint}, {args.num_beams} beams, {args.threads} torch threads, "
          f"{args.seconds:g} s per row")
    rows = []
    with serve_in_child(args.checkpoint, "--num-beams", args.num_beams, threads=args.threads) as url:
        for clients in args.clients:
            result = load(url, bodies, clients, args.seconds)
            done = result["latencies"]
            ms = [1000 * v for v in done] or [float("nan")]
            rows.append([clients, len(done), f"{len(done) / result['wall']:.2f}", f"{percentile(ms, 50):.0f}",
                         f"{percentile(ms, 95):.0f}", f"{percentile(ms, 99):.0f}", len(result["errors"])])
            for error in sorted(set(result["errors"]))[:5]:
                print(f"  {clients} clients: {error}", file=sys.stderr)
    header = ["clients", "requests", "requests/s", "p50 ms", "p95 ms", "p99 ms", "errors"]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


if __name__ == "__main__":
    main()
