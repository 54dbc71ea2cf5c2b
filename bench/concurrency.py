"""Many clients at once: search latency with 50 concurrent clients, quiet and during an upload.

The service runs as its own process (`kb serve`, the embedded index and SQLite on a data
directory where corpora/ is ingested); the clients are threads in this process, each with
its own keep-alive connection, over loopback. Two phases of --seconds each:

  quiet      every client searches in a loop (the 90 evaluation queries in turn);
  uploading  the same, while a write-key client uploads a large generated act
             (hundreds of articles) that the service parses, embeds and indexes.

Every request is bounded (timeout) and the run stops by itself. Reports per phase:
requests, errors, search p50/p95/p99, and /health's slowest answer.

    .venv/bin/python -m bench.concurrency                 # builds bench/out/kb-concurrency once
    .venv/bin/python -m bench.concurrency --clients 50 --seconds 30
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "kb-concurrency"
RESULTS = ROOT / "bench" / "results" / "concurrency.md"
KB = [str(ROOT / ".venv" / "bin" / "kb")]


def _queries() -> list[str]:
    data = yaml.safe_load((ROOT / "bench" / "data" / "search_queries.yaml").read_text(encoding="utf-8"))
    return [q["text"] for q in data]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _big_act(articles: int) -> bytes:
    lines = ["Правила ведения государственного кадастра отходов", ""]
    for i in range(1, articles + 1):
        lines += [f"{i}. Уполномоченный орган в области охраны окружающей среды ежегодно до 1 марта "
                  f"направляет в местные исполнительные органы сводный отчет номер {i} о накоплении, "
                  f"переработке и удалении отходов в районе {i}; оператор представляет сведения "
                  f"не позднее 15 рабочих дней со дня запроса.", ""]
    return "\n".join(lines).encode("utf-8")


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc), all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_phase(url: str, clients: int, seconds: float, queries: list[str], during=None, server_pid: int = 0) -> dict:
    """On a shared 2-core box latency depends on whatever else runs; the CPU seconds the
    service and the clients spend per search do not, so they are reported beside it."""
    cpu0 = (_cpu_s(server_pid), time.process_time()) if server_pid else None
    stop = time.monotonic() + seconds
    lat: list[float] = []
    health: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        i = n
        with httpx.Client(base_url=url, timeout=60) as c:
            while time.monotonic() < stop:
                q = queries[i % len(queries)]
                i += clients
                t0 = time.perf_counter()
                try:
                    r = c.post("/api/v1/search", json={"q": q, "top_k": 10})
                    ok = r.status_code == 200
                except httpx.HTTPError as e:
                    ok, r = False, e
                dt_ = time.perf_counter() - t0
                with lock:
                    (lat.append(dt_) if ok else errors.append(str(getattr(r, "status_code", r))))
                if n == 0:  # one client also watches /health
                    t0 = time.perf_counter()
                    h = c.get("/api/v1/health")
                    with lock:
                        health.append(time.perf_counter() - t0)
                        if h.status_code != 200:
                            errors.append(f"health {h.status_code}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    side = threading.Thread(target=during) if during else None
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    if side:
        side.start()
    for t in threads:
        t.join()
    # Throughput and CPU over the clients' own run; an upload still going on is waited for after.
    wall = time.perf_counter() - t0
    cpu = {}
    if cpu0:
        n = max(1, len(lat))
        cpu = {"server_cpu_ms": 1000 * (_cpu_s(server_pid) - cpu0[0]) / n,
               "client_cpu_ms": 1000 * (time.process_time() - cpu0[1]) / n}
    if side:
        side.join()
    return {
        **cpu,
        "requests": len(lat) + len(errors), "errors": len(errors), "rps": len(lat) / wall,
        "p50_ms": 1000 * _percentile(lat, 50), "p95_ms": 1000 * _percentile(lat, 95),
        "p99_ms": 1000 * _percentile(lat, 99), "health_max_ms": 1000 * max(health or [float("nan")]),
        "error_samples": errors[:5],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--articles", type=int, default=300, help="size of the uploaded act")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    env = dict(os.environ, KB_DATA_DIR=str(OUT), KB_TORCH_THREADS="1")
    if not (OUT / "kb.sqlite3").exists():
        print("ingesting corpora/ into", OUT, flush=True)
        subprocess.run(KB + ["ingest", "--local", str(ROOT / "corpora")], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    key = json.loads(subprocess.run(KB + ["keys", "create", "--role", "write", "--name", "bench", "--json"],
                                    env=env, check=True, capture_output=True, text=True).stdout)["secret"]
    port = _free_port()
    server = subprocess.Popen(KB + ["serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("the service did not start")
            time.sleep(0.5)
        queries = _queries()
        httpx.post(url + "/api/v1/search", json={"q": queries[0]}, timeout=120)  # load the model
        upload_s: list[float] = []

        def upload() -> None:
            t0 = time.perf_counter()
            r = httpx.post(url + "/api/v1/documents", headers={"X-API-Key": key}, timeout=600,
                           files={"file": (f"bench-{time.time_ns()}.txt", _big_act(args.articles), "text/plain")})
            upload_s.append(time.perf_counter() - t0)
            if r.status_code == 201:
                httpx.delete(url + f"/api/v1/documents/{r.json()['id']}", headers={"X-API-Key": key}, timeout=120)

        phases = {"quiet": run_phase(url, args.clients, args.seconds, queries, server_pid=server.pid)}
        if not args.no_write:
            phases["uploading"] = run_phase(url, args.clients, args.seconds, queries, during=upload,
                                            server_pid=server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)

    header = ("| phase | clients | requests | errors | req/s | search p50 | p95 | p99 | /health max "
              "| service CPU per search | clients' CPU per search |")
    rows = [header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in phases.items():
        rows.append(f"| {name} | {args.clients} | {r['requests']} | {r['errors']} | {r['rps']:.1f} | "
                    f"{r['p50_ms']:.0f} ms | {r['p95_ms']:.0f} ms | {r['p99_ms']:.0f} ms | {r['health_max_ms']:.0f} ms "
                    f"| {r['server_cpu_ms']:.1f} ms | {r['client_cpu_ms']:.1f} ms |")
    table = "\n".join(rows)
    print(table)
    for name, r in phases.items():
        if r["error_samples"]:
            print(name, "errors:", r["error_samples"])
    if upload_s:
        print(f"upload of a {args.articles}-article act took {upload_s[0]:.1f} s")
    load = os.getloadavg()[0]
    print(f"load average at the end: {load:.1f}")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, load average {load:.1f} at the end"
    RESULTS.write_text(
        f"# Concurrency\n\n{dt.date.today()}, {machine}; `python -m bench.concurrency --clients {args.clients} "
        f"--seconds {args.seconds:g}`\n\n{table}\n\n"
        + (f"Upload of a {args.articles}-article act during the second phase: {upload_s[0]:.1f} s.\n" if upload_s else ""),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
