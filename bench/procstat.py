"""CPU time and memory of a process tree, read from /proc (Linux only).

The CPU figure of a server is utime + stime of every process in its tree (the root and all its
descendants, threads included), plus cutime + cstime (descendants that already exited and were
reaped), sampled before and after a run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (field 3 is index 0)."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces and parentheses.
    return raw[raw.rindex(")") + 2 :].split()


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is None:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def process_tree(roots: Iterable[int]) -> list[int]:
    """The given PIDs that still exist and all their descendants."""
    children = _children_map()
    seen: list[int] = []
    stack = [pid for pid in roots if (PROC / str(pid)).exists()]
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.append(pid)
        stack.extend(children.get(pid, []))
    return seen


def tree_cpu_seconds(roots: Iterable[int]) -> float:
    """utime + stime + cutime + cstime over the process trees of ``roots``, in seconds."""
    ticks = 0
    for pid in process_tree(roots):
        fields = _stat_fields(pid)
        if fields is None:
            continue
        # Fields 14-17 of proc(5): utime, stime, cutime, cstime (indexes 11-14 here).
        ticks += sum(int(v) for v in fields[11:15])
    return ticks / CLOCK_TICKS


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kib(pids: Iterable[int]) -> int:
    """Resident memory summed over exactly these processes (KiB)."""
    return sum(_status_kib(pid, "VmRSS") for pid in pids)


def tree_rss_kib(roots: Iterable[int]) -> int:
    """Resident memory summed over the process trees of ``roots`` (KiB)."""
    return rss_kib(process_tree(roots))


def tree_hwm_kib(roots: Iterable[int]) -> int:
    """Peak resident memory (VmHWM) summed over the process trees of ``roots`` (KiB)."""
    return sum(_status_kib(pid, "VmHWM") for pid in process_tree(roots))


def _listening_inodes(port: int) -> set[int]:
    inodes: set[int] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state, inode = parts[1], parts[3], int(parts[9])
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(inode)
    return inodes


def find_listener_pid(port: int) -> int | None:
    """The PID of a process of ours that listens on TCP ``port`` (the lowest, if several)."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    wanted = {f"socket:[{inode}]" for inode in inodes}
    found: list[int] = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in wanted:
                    found.append(int(entry.name))
                    break
        except OSError:
            continue
    return min(found) if found else None


def system_busy_seconds() -> float:
    """CPU seconds all CPUs of the machine spent busy since boot (every process, the kernel)."""
    fields = (PROC / "stat").read_text().splitlines()[0].split()[1:]
    # user nice system idle iowait irq softirq steal ...: everything but idle and iowait.
    values = [int(v) for v in fields[:8]]
    return (sum(values) - values[3] - values[4]) / CLOCK_TICKS
