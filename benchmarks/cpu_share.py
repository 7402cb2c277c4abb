"""Where a benchmark's CPU goes, by process kind: CPU seconds of every process a night uses.

Linux only (``/proc``). A process is read from ``/proc/<pid>/stat`` (user + system time, which
any user may read, the PostgreSQL server's processes included); Redis reports its own
(``INFO cpu``); this process is read through ``resource``. ``sample()`` during the run keeps the
last figure of a process that ends before the run does (a backend whose session closed).
"""

from __future__ import annotations

import os
import resource
from collections import defaultdict
from collections.abc import Callable, Iterable

__all__ = ["CpuShare", "machine_busy", "postgres_server_processes", "process_cpu"]

_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` so far, or ``None`` when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of stat)


def postgres_server_processes() -> list[int]:
    """The PostgreSQL server's own processes on this machine (postmaster, WAL writer,
    checkpointer, background writer, autovacuum), found by their titles: ``pg_stat_activity``
    shows another user's processes without their type."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                title = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if (title.startswith("postgres: ") and any(
                part in title for part in ("walwriter", "checkpointer", "background writer", "autovacuum"))) or (
                "/bin/postgres " in title):
            found.append(int(entry))
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, every core counted."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values) - idle) / _TICKS, sum(values) / _TICKS


class CpuShare:
    """CPU seconds by kind between :meth:`start` and :meth:`stop`.

    ``kinds`` maps a kind's name to a function giving the pids of that kind now (called at start,
    at each :meth:`sample` and at stop: processes that appear later, such as a worker's second
    database session, count from zero). ``redis`` (a ``redis.Redis``) adds the server's own
    figure; this process counts as ``own``.
    """

    def __init__(self, kinds: dict[str, Callable[[], Iterable[int]]], *, redis: object = None,
                 own: str = "this process") -> None:
        self.kinds, self.redis, self.own = kinds, redis, own
        self._first: dict[tuple[str, int], float] = {}
        self._last: dict[tuple[str, int], float] = {}
        self._redis_first = 0.0
        self._own_first = 0.0
        self._machine_first = (0.0, 0.0)
        self.seconds: dict[str, float] = {}
        self.machine = (0.0, 0.0)

    def _redis_cpu(self) -> float:
        info = self.redis.info("cpu")  # type: ignore[attr-defined]
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])

    @staticmethod
    def _own_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def _read(self, *, first: bool) -> None:
        for kind, pids in self.kinds.items():
            for pid in pids():
                cpu = process_cpu(pid)
                if cpu is None:
                    continue
                if first:
                    self._first[(kind, pid)] = cpu
                self._last[(kind, pid)] = cpu

    def start(self) -> None:
        """Take the figures the run is measured from."""
        self._read(first=True)
        self._redis_first = self._redis_cpu() if self.redis is not None else 0.0
        self._own_first = self._own_cpu()
        self._machine_first = machine_busy()

    def sample(self) -> None:
        """Read every process again (keeps the last figure of one that ends before :meth:`stop`)."""
        self._read(first=False)

    def stop(self) -> dict[str, float]:
        """CPU seconds of each kind since :meth:`start`."""
        self._read(first=False)
        seconds: dict[str, float] = defaultdict(float)
        for key, cpu in self._last.items():
            seconds[key[0]] += cpu - self._first.get(key, 0.0)
        if self.redis is not None:
            seconds["redis-server (whole server, shared)"] = self._redis_cpu() - self._redis_first
        seconds[self.own] = self._own_cpu() - self._own_first
        busy, total = machine_busy()
        self.machine = (busy - self._machine_first[0], total - self._machine_first[1])
        self.seconds = dict(seconds)
        return self.seconds

    def table(self, dossiers: int, wall: float) -> str:
        """The figures as lines: CPU ms per dossier and share of the wall time, by kind."""
        rows = [f"CPU by process kind (ms per dossier; cores busy on average over the {wall:.0f} s):"]
        for kind, seconds in sorted(self.seconds.items(), key=lambda item: -item[1]):
            rows.append(f"  {kind:<58} {1000 * seconds / dossiers:8.1f} ms  {seconds / wall:5.2f} cores")
        mine = sum(self.seconds.values())
        busy, total = self.machine
        cores = total / wall if wall else 0.0
        rows.append(f"  {'all of the above':<58} {1000 * mine / dossiers:8.1f} ms  {mine / wall:5.2f} cores")
        rows.append(f"  machine: {busy / wall:.2f} of {cores:.1f} cores busy on average "
                    f"({max(0.0, busy - mine) / wall:.2f} cores of other work)")
        return "\n".join(rows)
