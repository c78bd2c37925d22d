"""Watch a process tree from /proc: CPU seconds per process, peak RSS, and the machine's other load."""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class ProcStats:
    """What one process of the tree used, as last seen."""

    pid: int
    cmd: str
    cpu: float = 0.0
    peak_rss_kb: int = 0


@dataclass
class TreeStats:
    """A finished run: wall time, CPU of our processes, peak memory, CPU the rest of the machine used."""

    wall: float
    returncode: int
    stdout: str
    stderr: str
    procs: dict[int, ProcStats] = field(default_factory=dict)
    machine_busy: float = 0.0  # CPU seconds all processes on the machine used during the run
    reaped_cpu: float = 0.0  # CPU seconds of every descendant that was waited for (kernel accounting)
    timeline: list[tuple[float, int, float, float]] = field(default_factory=list)  # (t, processes, root CPU, tree CPU)

    def serial_cpu(self, helpers: int = 2) -> float:
        """Root CPU seconds spent while no worker process was alive (before the pool and after it)."""
        busy = [(t, root) for t, n, root, _ in self.timeline if n > 1 + helpers]
        if not busy or not self.procs:
            return self.cpu
        root_total = next(iter(self.procs.values())).cpu
        return busy[0][1] + max(0.0, root_total - busy[-1][1])

    def ideal_wall(self, cores: int = 2, helpers: int = 2) -> float:
        """The wall time on `cores` idle cores: the serial part, plus the rest spread over the cores."""
        serial = min(self.serial_cpu(helpers), self.cpu)
        return serial + (self.cpu - serial) / cores

    @property
    def cpu(self) -> float:
        """CPU seconds of the whole tree (the kernel's figure when it saw more than the samples)."""
        return max(self.reaped_cpu, sum(p.cpu for p in self.procs.values()))

    @property
    def others_cores(self) -> float:
        """Average cores other processes kept busy during the run (0 on a quiet machine)."""
        return max(0.0, (self.machine_busy - self.cpu) / self.wall) if self.wall else 0.0

    def peak_rss_mb(self, root_only: bool = False) -> float:
        """Peak RSS in MiB: the root process's, or the sum of every process's peak."""
        procs = list(self.procs.values())
        if root_only:
            procs = procs[:1]
        return sum(p.peak_rss_kb for p in procs) / 1024


def _children(pid: int) -> list[int]:
    """Direct children of a process, from every one of its threads (no /proc-wide scan)."""
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as fh:
                kids.extend(int(k) for k in fh.read().split())
        except OSError:
            continue
    return kids


def _sample(pid: int, seen: dict[int, ProcStats]) -> None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:120]
    except OSError:
        return
    hwm = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
    stats = seen.setdefault(pid, ProcStats(pid, cmd))
    stats.cpu = max(stats.cpu, (int(fields[11]) + int(fields[12])) / _TICKS)
    stats.peak_rss_kb = max(stats.peak_rss_kb, hwm)


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores)."""
    with open("/proc/stat", encoding="ascii") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / _TICKS


def run_watched(
    argv: Sequence[str], *, cwd: str | None = None, env: dict[str, str] | None = None, interval: float = 0.5
) -> TreeStats:
    """Run a command to completion, sampling its whole process tree every `interval` seconds."""
    seen: dict[int, ProcStats] = {}
    timeline: list[tuple[float, int, float, float]] = []
    busy0 = machine_busy_seconds()
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8", errors="replace"
    )
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            stack, alive = [proc.pid], 0
            while stack:
                pid = stack.pop()
                _sample(pid, seen)
                alive += 1
                stack.extend(_children(pid))
            root = seen[proc.pid].cpu if proc.pid in seen else 0.0
            timeline.append((time.perf_counter() - started, alive, root, sum(p.cpu for p in seen.values())))
            done.wait(interval)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    watcher.join()
    busy = machine_busy_seconds() - busy0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = (usage.ru_utime - usage0.ru_utime) + (usage.ru_stime - usage0.ru_stime)
    return TreeStats(wall, proc.returncode, out, err, seen, busy, reaped, timeline)


def tree_cpu(pid: int) -> float:
    """CPU seconds the live processes of a tree have used so far."""
    seen: dict[int, ProcStats] = {}
    stack = [pid]
    while stack:
        current = stack.pop()
        _sample(current, seen)
        stack.extend(_children(current))
    return sum(p.cpu for p in seen.values())
