"""Summarise a py-spy "raw" (collapsed stacks) profile: top frames by self and by total time.

    py-spy record -f raw -o server.txt --pid PID --duration 20
    python -m bench.flame server.txt [--top 30] [--match acmehub]

``--match`` keeps, for the inclusive table, only frames whose file path contains the text, to
see which of our own functions the time goes through.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_LINE = re.compile(r"^(?P<stack>.*) (?P<count>\d+)$")
#: py-spy frames read "function (path/to/file.py:123)"; drop the line for aggregation.
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")


def _short(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "lib/python3.11/", "src/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"


def summarise(text: str, top: int, match: str | None) -> str:
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in text.splitlines():
        parsed = _LINE.match(line.strip())
        if not parsed:
            continue
        count = int(parsed["count"])
        frames = parsed["stack"].split(";")
        total += count
        threads[frames[0].split(" ")[0] if frames else "?"] += count
        shorts = [_short(f) for f in frames[1:]] or [frames[0]]
        self_time[shorts[-1]] += count
        for frame in set(shorts):
            if match is None or match in frame:
                inclusive[frame] += count
    if total == 0:
        return "no samples"
    lines = [f"{total} samples"]
    lines.append(f"\nTop {top} by self time:")
    for frame, count in self_time.most_common(top):
        lines.append(f"  {100 * count / total:5.1f}%  {frame}")
    lines.append(
        f"\nTop {top} by total (inclusive) time"
        + (f", frames matching {match!r}:" if match else ":")
    )
    for frame, count in inclusive.most_common(top):
        lines.append(f"  {100 * count / total:5.1f}%  {frame}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.flame", description=__doc__)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", help="only frames whose location contains this, inclusive")
    args = parser.parse_args(argv)
    print(summarise(args.profile.read_text(), args.top, args.match))
    return 0


if __name__ == "__main__":
    sys.exit(main())
