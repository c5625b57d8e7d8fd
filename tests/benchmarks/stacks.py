"""Summarise a py-spy raw profile (`make bench BENCH_ARGS=--profile` writes
var/bench/profile-<scenario>.txt): the share of the web workers' on-CPU samples spent
inside each function (inclusive), biggest first, and the top self-time frames.

    python -m tests.benchmarks.stacks var/bench/profile-progress.txt [--top 40] [--match attendance]
"""

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.+?) \((?P<file>[^)]*?)(?::\d+)?\)$")


def _name(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    path = path.replace(str(Path.cwd()) + "/", "")
    return f"{match['function']} ({path})"


def summarise(path: Path, top: int, match: str | None) -> str:
    inclusive: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_name(frame) for frame in stack.split(";")]
        if not any("gunicorn" in frame or "django" in frame for frame in frames):
            continue
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        self_time[frames[-1]] += count
    lines = [f"{total} samples", "", "inclusive:"]
    for frame, count in inclusive.most_common():
        if match and match not in frame:
            continue
        lines.append(f"{100 * count / total:6.1f}%  {frame}")
        if len(lines) > top + 3:
            break
    lines += ["", "self:"]
    for frame, count in self_time.most_common(top):
        lines.append(f"{100 * count / total:6.1f}%  {frame}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", help="Only inclusive frames containing this text.")
    arguments = parser.parse_args()
    print(summarise(arguments.path, arguments.top, arguments.match))


if __name__ == "__main__":
    main()
