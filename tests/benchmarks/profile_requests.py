"""Where one request's time goes, in-process: replays a scenario's requests through Django's
test client (no HTTP server, one thread) against the run database left by the last
`make bench`, and prints the wall time and queries per request and a pyinstrument profile.

    python -m tests.benchmarks.profile_requests progress --requests 2000
    python -m tests.benchmarks.profile_requests courses --requests 500 --html var/bench/p.html

Rate limiting is off as in the bench; everything else is the production settings."""

import argparse
import cProfile
import json
import os
import pstats
import time
from typing import Any

from tests.benchmarks.environment import bench_settings
from tests.benchmarks.run import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, SCENARIOS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=[scenario.name for scenario in SCENARIOS])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--show-sql", type=int, default=0, help="Print this many statements.")
    parser.add_argument(
        "--cpu", type=int, default=0, help="cProfile on CPU time instead; print this many rows."
    )
    parser.add_argument("--sort", default="cumulative", help="cProfile order (tottime, ...).")
    parser.add_argument("--html", help="Also write pyinstrument's HTML report here.")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    arguments = parser.parse_args()
    os.environ.update(
        bench_settings(database_url=arguments.database_url, redis_url=arguments.redis_url)
    )
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from pyinstrument import Profiler

    from tests.benchmarks.run import load_context

    scenario = next(item for item in SCENARIOS if item.name == arguments.scenario)
    context = load_context()
    requests = scenario.requests(context)
    client = Client(HTTP_X_FORWARDED_PROTO="https")

    def send(index: int) -> Any:
        token, method, path, body = requests[index % len(requests)]
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token != "-" else {}
        if method == "GET":
            return client.get(path, **headers)
        return client.post(path, data=body, content_type="application/json", **headers)

    statuses: dict[int, int] = {}
    for index in range(arguments.warmup):
        send(index)
    position = arguments.warmup
    started = time.perf_counter()
    cpu_started = time.process_time()
    for index in range(position, position + arguments.requests):
        status = send(index).status_code
        statuses[status] = statuses.get(status, 0) + 1
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    position += arguments.requests
    queries: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        for index in range(position, position + 100):
            send(index)
    position += 100
    print(
        json.dumps(
            {
                "scenario": scenario.name,
                "requests": arguments.requests,
                "ms_per_request": round(1000 * elapsed / arguments.requests, 3),
                "cpu_ms_per_request": round(1000 * cpu / arguments.requests, 3),
                "queries_per_request": round(len(queries) / 100, 2),
                "statuses": statuses,
            }
        )
    )
    if arguments.show_sql:
        print("\n".join(sql[:400] for sql in queries[: arguments.show_sql]))
    if arguments.cpu:
        cpu_profiler = cProfile.Profile(timer=time.process_time)
        cpu_profiler.enable()
        for index in range(position, position + arguments.requests):
            send(index)
        cpu_profiler.disable()
        pstats.Stats(cpu_profiler).sort_stats(arguments.sort).print_stats(arguments.cpu)
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for index in range(position, position + arguments.requests):
        send(index)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    if arguments.html:
        with open(arguments.html, "w") as handle:
            handle.write(profiler.output_html())


if __name__ == "__main__":
    main()
