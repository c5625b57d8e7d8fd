"""Run the web server, a Celery worker and Celery beat as one command; Ctrl-C (or SIGTERM)
stops all three. `make run` uses it."""

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and beat together until interrupted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def commands(self, addr: str) -> list[list[str]]:
        python = sys.executable
        celery = str(Path(python).with_name("celery"))
        return [
            [python, "manage.py", "runserver", addr, "--noreload"],
            [celery, "-A", "config", "worker", "-Q", "high,normal,low", "--concurrency=2",
             "--loglevel=INFO"],
            [celery, "-A", "config", "beat", "--loglevel=INFO",
             f"--schedule={settings.VAR_DIR / 'celerybeat-schedule'}"],
        ]  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        commands = self.commands(options["addr"])
        processes = [subprocess.Popen(command) for command in commands]  # noqa: S603
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in processes):
                time.sleep(0.5)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            deadline = time.monotonic() + 15
            for process in processes:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
        self.stdout.write("All processes stopped.")
