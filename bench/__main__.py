"""Run the benchmark suite and print its markdown (or write it into docs/benchmarks.md).

    python -m bench                    # every workload, median of 5, markdown on stdout
    python -m bench --quick            # small sizes, median of 2: a smoke run (about a minute)
    python -m bench --only W1,W3       # some workloads (W5 covers W5-poly, W5-mlp, W5-scaling)
    python -m bench --write            # the full suite, written into docs/benchmarks.md

Progress goes to stderr. The exit status is 1 when a contender failed or gave
a wrong answer; a contender that cannot run here (a library not installed, a
symgd feature not built yet) is reported as unavailable and is no failure.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from . import descent, fit_mse, report, starts, symbolic
from .harness import Workload, measure, run_workload

#: Which module builds each workload.
MODULES = {"W1": descent, "W2": descent, "W3": starts, "W4": fit_mse, "W5": symbolic}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and 2 repeats: a fast smoke run")
    parser.add_argument("--only", metavar="W1,W3", help="comma-separated workloads to run (default: all)")
    parser.add_argument("--repeat", type=int, help="timed runs per contender (default 5; 2 with --quick)")
    parser.add_argument("--write", action="store_true", help="write the results into docs/benchmarks.md")
    parser.add_argument("--worker", metavar="W1:0", help=argparse.SUPPRESS)  # one contender, in its own process
    args = parser.parse_args(argv)
    args.only = [w.strip().upper() for w in args.only.split(",")] if args.only else list(MODULES)
    unknown = [w for w in args.only if w not in MODULES]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    if args.write and (args.quick or len(args.only) < len(MODULES)):
        parser.error("--write records the whole suite at full size: drop --quick and --only")
    args.repeat = args.repeat or (2 if args.quick else 5)
    return args


def workloads(key: str, quick: bool) -> list[Workload]:
    """The workloads of group ``key`` (W1 … W5) at the chosen sizes."""
    return [w for w in MODULES[key].workloads(quick) if w.key.split("-")[0] == key]


def worker(spec: str, quick: bool, repeat: int) -> int:
    """Measure one contender (``W4:2``, ``W5-mlp:0``) and print its row as JSON."""
    key, index = spec.rsplit(":", 1)
    (workload,) = [w for w in workloads(key.split("-")[0], quick) if w.key == key]
    print(measure(workload, workload.contenders[int(index)], repeat).to_json())
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker(args.worker, args.quick, args.repeat)
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    results: report.Results = {}
    for key in args.only:
        for workload in workloads(key, args.quick):
            results[workload.key] = (workload, run_workload(workload, args.repeat, args.quick, log))
    command = shlex.join(["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)])
    text = report.markdown(results, command, args.repeat)
    if args.write:
        report.write(text)
        log(f"written into {report.DOCS}")
    else:
        print(text)
    failed = [row for _, rows in results.values() for row in rows if row.status.startswith(("error", "wrong"))]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
