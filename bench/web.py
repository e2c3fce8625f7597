"""Latency and throughput of the main pages and API endpoints, against a real uvicorn server.

    .venv/bin/python bench/web.py [--requests 200] [--concurrency 8]

Starts uvicorn on the development database (run `make run` once, or `manage.py migrate` and
`manage.py load_demo`, first), signs in as the demo student over HTTP, then sends a bounded number
of requests to 127.0.0.1 per endpoint and prints JSON: p50/p95/max latency in ms, requests/s,
errors. Nothing here is asserted; tests never time anything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time

import httpx
from _server import uvicorn_server


async def _measure(client: httpx.AsyncClient, path: str, total: int, concurrency: int) -> dict:
    latencies: list[float] = []
    errors = 0
    queue = iter(range(total))

    async def worker() -> None:
        nonlocal errors
        for _ in queue:
            start = time.perf_counter()
            response = await client.get(path)
            latencies.append((time.perf_counter() - start) * 1000)
            errors += response.status_code != 200

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "path": path,
        "requests": total,
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
        "requests_per_s": round(total / elapsed, 1),
        "errors": errors,
    }


async def _run(base: str, total: int, concurrency: int) -> list[dict]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        login = await client.get("/accounts/login/")
        token = login.cookies["csrftoken"]
        await client.post(
            "/accounts/login/",
            data={
                "username": "student",
                "password": "learn-with-llmasos",
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": f"{base}/accounts/login/"},
        )
        if "sessionid" not in client.cookies:
            raise SystemExit("could not sign in as the demo student: load the demo first")
        paths = [
            "/courses/",
            "/dashboard/",
            "/courses/python-basics/",
            "/courses/python-basics/lessons/functions/",
            "/api/courses/",
            "/api/courses/python-basics/lessons/functions/",
        ]
        return [await _measure(client, path, total, concurrency) for path in paths]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    # The API's throttles would turn a benchmark's burst into 429s: lifted for the measurement.
    unmetered = {f"API_THROTTLE_{scope}": "1000000/min" for scope in ("USER", "ANON", "ADDRESS")}
    env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1", **unmetered}
    with uvicorn_server(env) as port:
        results = asyncio.run(_run(f"http://127.0.0.1:{port}", args.requests, args.concurrency))
    print(
        json.dumps(
            {
                "benchmark": "web",
                "server": "uvicorn, 1 process, SQLite",
                "concurrency": args.concurrency,
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
