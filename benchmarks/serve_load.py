"""Load test of ``seqlab serve`` (issue 26, item 2): N concurrent clients
for T seconds on this machine's loopback, never past it.

Starts ``seqlab serve MODEL`` on 127.0.0.1 in a subprocess, measures
single-sentence latency first (one client, one sentence per request, after
a warm-up), then runs ``--clients`` threads for ``--seconds`` seconds, each
sending one request after another over its own keep-alive connection with
``--per-request`` sentences drawn from ``--sentences`` (a CoNLL file's
tokens: column 0). Reports requests/s, sentences/s and p50/p99 latency,
prints one JSON line, appends it to ``--record`` when given.

    .venv/bin/python benchmarks/serve_load.py MODEL --sentences ../shared/data/conll2000/test.txt \\
        [--clients 1,8,32] [--seconds 20] [--per-request 1] [--max-batch 128] [--max-wait-ms 5]

The clients share the machine with the server: on 2 cores they take part
of the CPU the server would have.
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ner_conll2003 import emit, machine  # noqa: E402


def conll_sentences(path, limit=None):
    sentences, current = [], []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip() or line.startswith("-DOCSTART-"):
                if current:
                    sentences.append(current)
                    current = []
                continue
            current.append(line.split()[0])
    if current:
        sentences.append(current)
    return sentences[:limit]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Client:
    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def tag(self, inputs):
        body = json.dumps({"inputs": inputs})
        start = time.perf_counter()
        self.connection.request("POST", "/tag", body, {"Content-Type": "application/json"})
        response = self.connection.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - start
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {payload[:200]!r}")
        return elapsed


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def load(port, sentences, clients, seconds, per_request):
    latencies, counts, errors = [], [0] * clients, []
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def run(index):
        client = Client(port)
        position = index * 7919
        try:
            while time.perf_counter() < stop:
                batch = [sentences[(position + k) % len(sentences)] for k in range(per_request)]
                position += per_request
                elapsed = client.tag(batch)
                with lock:
                    latencies.append(elapsed)
                counts[index] += 1
        except Exception as error:  # reported, not hidden
            errors.append(repr(error))

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    requests = sum(counts)
    return {"clients": clients, "seconds": wall, "requests": requests,
            "requests_per_s": requests / wall, "sentences_per_s": requests * per_request / wall,
            "p50_ms": 1000 * percentile(latencies, 0.5), "p99_ms": 1000 * percentile(latencies, 0.99),
            "errors": errors[:3]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a tagger's .keras file or run directory")
    parser.add_argument("--sentences", required=True, help="a CoNLL file (tokens in column 0)")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--per-request", type=int, default=1)
    parser.add_argument("--max-batch", type=int, default=128)
    parser.add_argument("--max-wait-ms", type=float, default=5)
    parser.add_argument("--record", help="append the JSON line to this file")
    args = parser.parse_args(argv)
    sentences = conll_sentences(args.sentences)
    port = free_port()
    seqlab = os.path.join(os.path.dirname(sys.executable), "seqlab")
    server = subprocess.Popen(
        [seqlab, "serve", args.model, "--port", str(port), "--max-batch", str(args.max_batch),
         "--max-wait-ms", str(args.max_wait_ms)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 300
        while True:  # /health answers once the model is loaded and traced
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start:\n{server.stdout.read()}")
            time.sleep(0.2)
        single = Client(port)
        for sentence in sentences[:50]:  # warm-up: the widths a sentence pads to
            single.tag([sentence])
        one = [single.tag([sentences[i % len(sentences)]]) for i in range(200)]
        result = {"benchmark": "serve_load", "model": args.model,
                  "sentences_file": os.path.basename(args.sentences),
                  "single_sentence_p50_ms": 1000 * statistics.median(one),
                  "single_sentence_p99_ms": 1000 * percentile(one, 0.99),
                  "per_request": args.per_request, "max_batch": args.max_batch,
                  "max_wait_ms": args.max_wait_ms,
                  "runs": [load(port, sentences, int(c), args.seconds, args.per_request)
                           for c in args.clients.split(",")],
                  "machine": machine(), "date": time.strftime("%Y-%m-%d")}
    finally:
        server.terminate()
        server.wait(timeout=60)
    emit(result, args.record)


if __name__ == "__main__":
    main()
