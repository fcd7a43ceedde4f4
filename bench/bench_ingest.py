"""Benchmark: generate synthetic data at force and national scale, then validate it.

For each size (default: Thames Valley, 2,000 people / 40 officers, and England and Wales,
70,000 people / 1,400 officers) this
  1. generates the folder through the library (`synth.generate` + `synth.write_dataset`),
  2. generates it again through the command line (`rso generate`) and checks both are identical,
  3. validates it with `ingest.load_dataset`,
each step in a fresh Python process so that its wall time and peak resident memory
(`resource.getrusage` ru_maxrss) are its own. Targets: generation < 60 s, validation < 30 s
for 70,000 people.

Usage:
  .venv/bin/python bench/bench_ingest.py                      print the table
  .venv/bin/python bench/bench_ingest.py --write              and update docs/BENCHMARKS.md
  .venv/bin/python bench/bench_ingest.py --sizes 70000:1400   one size only

Nothing is fetched from the network; the data goes to a temporary folder that is removed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "BENCHMARKS.md"
SECTION = "## Generation and validation"
START = date(2026, 11, 23)  # the sample's plan start; history ends the day before
SEED = 1
TARGETS_S = {"generate (library)": 60.0, "generate (rso generate)": 60.0, "validate": 30.0}
TARGET_SIZE = 70_000  # the targets are set for national scale


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _cpu_s() -> float:
    """CPU seconds of this process so far: less sensitive than wall time to a busy machine."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def stage_generate(n: int, m: int, out: Path) -> dict[str, float]:
    """Library generation into `out` (run inside a child process)."""
    from rso_scheduler.synth import generate, write_dataset

    c0, t0 = _cpu_s(), time.perf_counter()
    files = generate(n, m, SEED, START)
    t1 = time.perf_counter()
    write_dataset(out, files)
    t2 = time.perf_counter()
    return {
        "seconds": t2 - t0,
        "cpu_s": _cpu_s() - c0,
        "generate_s": t1 - t0,
        "write_s": t2 - t1,
        "bytes": float(sum(len(v.encode()) for v in files.values())),
        "peak_mb": _maxrss_mb(),
    }


def stage_validate(folder: Path) -> dict[str, float]:
    """`load_dataset` on a generated folder (run inside a child process)."""
    from rso_scheduler.ingest import load_dataset

    c0, t0 = _cpu_s(), time.perf_counter()
    ds = load_dataset(folder, today=START)
    t1 = time.perf_counter()
    return {
        "seconds": t1 - t0,
        "cpu_s": _cpu_s() - c0,
        "offenders": float(len(ds.offenders)),
        "visits": float(len(ds.visits)),
        "warnings": float(len(ds.warnings)),
        "peak_mb": _maxrss_mb(),
    }


def _child(args: list[str], script: Path | None = None) -> dict[str, Any]:
    """Run one stage of a bench script (default: this one) in a fresh interpreter; its JSON."""
    proc = subprocess.run(
        [sys.executable, str((script or Path(__file__)).resolve()), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"stage {args[0]} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _cli_generate(n: int, m: int, out: Path) -> dict[str, float]:
    """`rso generate` as a user runs it, timed from outside; peak memory of the child."""
    rso = Path(sys.executable).with_name("rso")
    cmd = [str(rso)] if rso.exists() else [sys.executable, "-m", "rso_scheduler.cli"]
    cmd += ["generate", "--offenders", str(n), "--officers", str(m), "--seed", str(SEED)]
    cmd += ["--start", START.isoformat(), "--as-of", (START - timedelta(days=1)).isoformat()]
    cmd += ["--out", str(out), "--quiet", "--force"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    # wait4 gives this child's own resource usage, so its peak memory is exact.
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"rso generate failed:\n{err[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime  # whole process, imports included
    return {"seconds": seconds, "cpu_s": cpu, "peak_mb": usage.ru_maxrss / 1024}


def _same_files(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    return names == sorted(p.name for p in b.iterdir()) and all(
        (a / n).read_bytes() == (b / n).read_bytes() for n in names
    )


@dataclass
class Row:
    """One line of the results table."""

    size: str
    step: str
    seconds: float  # best wall time over the repeats
    cpu_s: float  # CPU time of that best run
    peak_mb: float
    note: str
    target_s: float | None = None
    failed: bool = False  # e.g. the command's files differ from the library's

    @property
    def met(self) -> str:
        if self.failed:
            return "NO"
        if self.target_s is None:
            return ""
        return "yes" if self.seconds < self.target_s else "NO"


def _best(runs: list[dict[str, float]]) -> dict[str, float]:
    return min(runs, key=lambda r: r["seconds"])


def run_size(n: int, m: int, tmp: Path, repeat: int = 1) -> list[Row]:
    """All stages for one size, each repeated `repeat` times (best wall time kept)."""
    lib_dir, cli_dir = tmp / f"lib-{n}", tmp / f"cli-{n}"
    say = lambda msg: print(f"  {n:,} people, {m:,} officers: {msg}", file=sys.stderr)  # noqa: E731
    say("library generation")
    gen = _best(
        [
            _child(["--stage", "generate", "-n", str(n), "-m", str(m), "--dir", str(lib_dir)])
            for _ in range(repeat)
        ]
    )
    say("rso generate")
    cli = _best([_cli_generate(n, m, cli_dir) for _ in range(repeat)])
    identical = _same_files(lib_dir, cli_dir)
    say("load_dataset")
    val = _best([_child(["--stage", "validate", "--dir", str(lib_dir)]) for _ in range(repeat)])
    size = f"{n:,} / {m:,}"
    national = n >= TARGET_SIZE
    return [
        Row(
            size, "generate (library)", gen["seconds"], gen["cpu_s"], gen["peak_mb"],
            f"generate {gen['generate_s']:.1f} s + write {gen['write_s']:.1f} s, "
            f"{gen['bytes'] / 1e6:.1f} MB of CSV",
            TARGETS_S["generate (library)"] if national else None,
        ),
        Row(
            size, "generate (rso generate)", cli["seconds"], cli["cpu_s"], cli["peak_mb"],
            "whole command, start-up included; "
            + ("files identical to the library run" if identical else "files DIFFER from the library run"),
            TARGETS_S["generate (rso generate)"] if national else None,
            failed=not identical,
        ),
        Row(
            size, "validate", val["seconds"], val["cpu_s"], val["peak_mb"],
            f"{int(val['offenders']):,} people, {int(val['visits']):,} visit records, "
            f"{int(val['warnings'])} warnings",
            TARGETS_S["validate"] if national else None,
        ),
    ]  # fmt: skip


def table(rows: list[Row]) -> str:
    """A Markdown table of the results."""
    out = [
        "| people / officers | step | wall s | CPU s | target | met | peak memory (MB) | notes |",
        "|---|---|---:|---:|---|---|---:|---|",
    ]
    for r in rows:
        target = f"< {r.target_s:.0f} s" if r.target_s else ""
        out.append(
            f"| {r.size} | {r.step} | {r.seconds:.1f} | {r.cpu_s:.1f} | {target} | {r.met} "
            f"| {r.peak_mb:.0f} | {r.note} |"
        )
    return "\n".join(out)


def _uname() -> str:
    try:
        out = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=False)
        return out.stdout.strip() or platform.platform()
    except OSError:
        return platform.platform()


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        m = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        if m:
            ram = f"{int(m.group(1)) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "uname": _uname(),
        "load": _loadavg(),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "python": platform.python_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit or "unknown",
    }


def section(rows: list[Row], info: dict[str, str], repeat: int) -> str:
    """The docs/BENCHMARKS.md section, heading included."""
    return f"""{SECTION}

How long it takes to make a synthetic data folder (`rso generate`) and to validate it
(`load_dataset`, the first step of every command), at Thames Valley size (2,000 people,
40 officers) and at England and Wales size (70,000 people, 1,400 officers). Each step runs in
a fresh Python process; the best wall time of {repeat} run(s) is shown with its CPU time
(the machine is shared, so wall time varies with other work; CPU time much less); peak memory
is that process's maximum resident set size. Targets (70,000 people): generation under 60 s,
validation under 30 s.

Reproduce: `.venv/bin/python bench/bench_ingest.py --write` (seed {SEED}, plan start
{START.isoformat()}; the folders go to a temporary directory and are removed).

{table(rows)}

Measured {info["date"]} at commit {info["commit"]} on `{info["uname"]}`;
CPU {info["cpu"]}, {info["cores"]} cores (shared with other work; load average
{info["load"]} at the start), {info["ram"]} RAM, Python {info["python"]}.
"""


INTRO = """# Benchmarks

Measured numbers for rso-scheduler, each section written by the script named in it (see
`bench/README.md`). Timings are wall-clock on the machine stated in each section; the machine
is shared, so treat small differences as noise.
"""


def write_section(text: str, doc: Path = DOC, heading: str = SECTION) -> None:
    """Replace (or add) a benchmark's section of docs/BENCHMARKS.md, keeping the others."""
    current = doc.read_text(encoding="utf-8") if doc.exists() else INTRO
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        new = pattern.sub(lambda _m: text.rstrip("\n") + "\n\n", current, count=1)
    else:
        new = current.rstrip("\n") + "\n\n" + text
    doc.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="2000:40,70000:1400", help="people:officers,... to run")
    p.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    p.add_argument("--repeat", type=int, default=1, help="runs per step; the best is kept")
    p.add_argument("--stage", choices=("generate", "validate"), help=argparse.SUPPRESS)
    p.add_argument("-n", type=int, help=argparse.SUPPRESS)
    p.add_argument("-m", type=int, help=argparse.SUPPRESS)
    p.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.stage == "generate":
        print(json.dumps(stage_generate(args.n, args.m, args.dir)))
        return 0
    if args.stage == "validate":
        print(json.dumps(stage_validate(args.dir)))
        return 0

    sizes = [tuple(int(x) for x in s.split(":")) for s in args.sizes.split(",") if s]
    info = machine()  # before the runs: the load average shows what else is running
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="rso-bench-") as tmp:
        for n, m in sizes:
            rows.extend(run_size(n, m, Path(tmp), max(1, args.repeat)))
    print(table(rows))
    print(
        f"\n{info['cpu']}, {info['cores']} cores, {info['ram']}, load {info['load']}; {info['date']}"
    )
    if args.write:
        write_section(section(rows, info, max(1, args.repeat)))
        print(f"updated {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 1 if any(r.met == "NO" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
