"""The ``symgd`` command: parse arguments, call the library, print. No mathematics here.

Exit status: 0 success, 1 the run did not succeed (diverged, did not
converge), 2 bad input or usage; errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from enum import IntEnum

from . import __version__, plotting
from .errors import ArgumentError, SymgdError, SymgdWarning
from .kernel import BACKENDS
from .limits import Limits
from .objective import Objective
from .optimize import minimize
from .optimizers import OPTIMIZERS, default_learning_rate
from .parse import parse
from .report import minima_table, starts_table, summary, trace_csv, trace_table
from .sandbox import safe_objective
from .schedules import parse_schedule
from .sweep import LearningRateSweep

PROG = "symgd"


class ExitStatus(IntEnum):
    SUCCESS = 0
    RUN_FAILED = 1
    BAD_INPUT = 2
    INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and a `SymgdError` (exit status 2)."""

    def error(self, message: str):
        raise ArgumentError(f"{message} (see '{PROG} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Gradient descent on a formula: symgd derives the exact gradient and descends.",
        epilog=(
            'examples:\n  symgd "x**2-8*x+4" --lr 0.2\n'
            '  symgd "x^2 + y^2" --x0 x=-4,y=5 --lr 0.1 --format json\n'
            '  symgd "100*l - l**2" --maximize --x0 57\n'
            "subcommands (symgd COMMAND --help):\n"
            '  symgd diff "x^2*sin(x)" [--hessian] [--steps]    symgd check "x^2" --grad "2x"\n'
            '  symgd critical "x^2 - y^2"                        '
            'symgd fit "a*x**2 + b*x" --data fence.csv --target area --loss mae'
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("formula", help='the function, e.g. "x^2 - 8x + 4" or "x**2 + x*y + y**2"')
    parser.add_argument(
        "--lr",
        type=_rates,
        help="learning rate (default: the optimizer's, 0.1 for gd); several, e.g. 0.01,0.2,1.06, compare them",
    )
    parser.add_argument("--x0", help="start point: 44.87, 1,2 or x=1,y=2 (default 1 for every variable)")
    parser.add_argument("--iters", type=int, default=1000, metavar="N", help="most iterations (default 1000)")
    parser.add_argument(
        "--tol",
        type=float,
        default=1e-8,
        help="stop when |gradient| <= TOL (default 1e-8); 0 runs exactly --iters steps",
    )
    parser.add_argument("--maximize", action="store_true", help="climb to a maximum instead")
    parser.add_argument("--vars", help="variable names in order, e.g. y,x (default: sorted)")
    parser.add_argument("--const", help="constants to substitute, e.g. a=2,b=pi/2")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output (default table)")
    parser.add_argument(
        "--rows",
        type=_count,
        default=40,
        metavar="N",
        help="trace rows shown in the table, first and last (default 40; 0 shows all)",
    )
    parser.add_argument("--digits", type=_digits, default=10, help="significant digits in the table (default 10)")
    steps = parser.add_argument_group("optimizer")
    steps.add_argument("--optimizer", default="gd", choices=list(OPTIMIZERS), help="the step rule (default gd)")
    for flag, name, text in _HYPER_PARAMETERS:
        steps.add_argument(flag, type=float, dest=name, help=text)
    steps.add_argument("--line-search", action="store_true", help="backtracking (Armijo) line search (gd, newton)")
    steps.add_argument(
        "--schedule", help="learning-rate schedule: step:RATE:EVERY, exponential:RATE, inverse_time:RATE, cosine:STEPS"
    )
    steps.add_argument("--clip", type=float, metavar="NORM", help="clip the gradient to this norm")
    steps.add_argument("--bounds", help="box bounds, e.g. -1:1,0: or x=-1:1,y=0: (empty side = unbounded)")
    stops = parser.add_argument_group("stopping")
    stops.add_argument("--xtol", type=float, default=0.0, help="stop when a step is at most XTOL long")
    stops.add_argument("--ftol", type=float, default=0.0, help="stop when f changes by at most FTOL (relative)")
    stops.add_argument("--max-time", type=float, metavar="SECONDS", help="stop after this much wall-clock time")
    multi = parser.add_argument_group("multi-start")
    multi.add_argument("--restarts", type=int, metavar="N", help="run N starts at once and group the minima found")
    multi.add_argument(
        "--domain",
        help="where the starts are drawn: lo:hi for every variable, or x=lo:hi,y=lo:hi "
        "(default: the bounds, else -10:10)",
    )
    multi.add_argument("--seed", type=int, help="random seed for the starts")
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="auto",
        help="python: the descent loop generated for the formula; numba: the same loop compiled "
        "(pip install symgd[fast]); auto (default): numba for long runs when it is installed",
    )
    add_time_budget(parser, "the formula")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="read and derive the formula in a worker process with CPU, memory and time limits",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="compare where the run stopped with the exact critical points (nearest one, its kind, the distance)",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    plotting.add_plot_arguments(parser)  # --plot FILE, --animate FILE.gif, --plot-range
    return parser


_HYPER_PARAMETERS = [
    ("--beta", "beta", "momentum / nesterov: momentum coefficient (default 0.9)"),
    ("--beta1", "beta1", "adam family: first-moment decay (default 0.9)"),
    ("--beta2", "beta2", "adam family: second-moment decay (default 0.999)"),
    ("--eps", "eps", "adagrad / rmsprop / adam family: denominator guard"),
    ("--decay", "decay", "rmsprop: decay of the squared-gradient average (default 0.9)"),
    ("--weight-decay", "weight_decay", "adamw: decoupled weight decay (default 0.01)"),
    ("--damping", "damping", "newton: smallest curvature used (default 1e-8)"),
]


def add_time_budget(parser: argparse.ArgumentParser, what: str) -> None:
    """``--time-budget SECONDS``: the symbolic work's budget (`symgd.Limits.time_budget`)."""
    parser.add_argument(
        "--time-budget",
        type=float,
        default=Limits.time_budget,
        metavar="SECONDS",
        help=f"most seconds of symbolic work on {what} (default %(default)s; 0 = no limit)",
    )


def _rates(text: str) -> list[float]:
    try:
        return [float(item) for item in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number such as 0.2, or several: 0.01,0.2,1.06; not {text!r}"
        ) from None


def _ranges(text: str, names: Sequence[str], what: str) -> list[tuple[float | None, float | None]]:
    """``lo:hi`` for every variable, ``lo:hi,lo:hi`` in order, or ``x=lo:hi,...``; an empty side is None."""

    def side(value: str) -> float | None:
        return _number(value) if value.strip() else None

    def pair(value: str) -> tuple[float | None, float | None]:
        low, colon, high = value.partition(":")
        if not colon:
            raise ArgumentError(f"cannot read {what} {text!r}: write lo:hi, e.g. -1:1")
        return side(low), side(high)

    pairs = _pairs(text, what)
    if pairs[0][0] is not None:
        given = {name: pair(value) for name, value in pairs}
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise ArgumentError(f"{what}: unknown variable {unknown[0]!r}; the variables are {', '.join(names)}")
        return [given.get(name, (None, None)) for name in names]
    values = [pair(value) for _, value in pairs]
    return values * len(names) if len(values) == 1 else values


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, not {text!r}")
    return int(text)


def _digits(text: str) -> int:
    if not (text.isdigit() and 1 <= int(text) <= 17):
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 17, not {text!r}")
    return int(text)


def _pairs(text: str, what: str) -> list[tuple[str | None, str]]:
    """``"1,2"`` -> [(None, "1"), (None, "2")]; ``"x=1,y=2"`` -> [("x", "1"), ("y", "2")]."""
    pairs = []
    for item in text.split(","):
        name, eq, value = item.partition("=")
        if not item.strip() or (eq and not (name.strip() and value.strip())):
            raise ArgumentError(f"cannot read {what} {text!r}: write 1,2 or x=1,y=2")
        pairs.append((name.strip(), value.strip()) if eq else (None, item.strip()))
    if len({name is None for name, _ in pairs}) > 1:
        raise ArgumentError(f"cannot read {what} {text!r}: give all values by name or none")
    return pairs


def _number(text: str) -> float:
    """A number, possibly written as a formula (``pi/2``), read by the safe parser."""
    return float(parse(text, variables=()).expr)


def read_point(text: str | None, option: str):
    """A point on the command line (``--x0``, ``--p0``): ``1,2`` -> [1.0, 2.0]; ``x=1,y=2`` -> a mapping."""
    if text is None:
        return None
    pairs = _pairs(text, option)
    if pairs[0][0] is None:
        return [_number(value) for _, value in pairs]
    return {name: _number(value) for name, value in pairs}


def read_constants(text: str | None) -> dict[str, str] | None:
    """``--const a=2,b=pi/2`` as a mapping of names to numeric formulas."""
    constants = dict(_pairs(text, "--const")) if text else None
    if constants and None in constants:
        raise ArgumentError("--const needs names: a=2,b=3")
    return constants


def _normalize(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """Let values and formulas start with '-': ``--x0 -4,5`` and ``symgd "-x^2"``."""
    takes_value = {s for a in parser._actions if a.nargs is None and a.option_strings for s in a.option_strings}
    flags = {s for a in parser._actions for s in a.option_strings}
    out, positional = [], []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            positional += argv[i + 1 :]
            break
        if token in takes_value and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            out.append(f"{token}={argv[i + 1]}")
            i += 2
            continue
        if token.startswith("-") and not token.startswith("--") and token not in flags:
            positional.append(token)  # a formula such as "-x^2", not an option
        else:
            out.append(token)
        i += 1
    return out + (["--", *positional] if positional else [])


def run(args: argparse.Namespace) -> ExitStatus:
    variables = [v.strip() for v in args.vars.split(",")] if args.vars else None
    constants = read_constants(args.const)
    limits = Limits(time_budget=args.time_budget or None)
    if args.sandbox:
        obj = safe_objective(args.formula, variables, constants, limits=limits)
    else:
        obj = Objective(args.formula, variables, constants, limits=limits)
    res = minimize(obj, read_point(args.x0, "--x0"), maximize=args.maximize, **_run_options(args, obj))
    plotting.write_figures(args, res, obj)  # before any output: a missing matplotlib is a clean exit 2
    if isinstance(res, LearningRateSweep):
        return _print_sweep(args, obj, res)
    if args.format == "json":
        print(json.dumps({"formula": str(obj.expr), **res.to_dict()}, allow_nan=False))
    elif args.format == "csv":
        print(trace_csv(res), end="")
        if not res.success:
            print(f"{PROG}: {res.message}", file=sys.stderr)
    else:
        print(_heading(args, obj) + "\n")
        if res.starts is not None:
            print(f"{'maxima' if args.maximize else 'minima'} found:\n{minima_table(res, args.digits)}\n")
            print(f"every start:\n{starts_table(res, args.rows or None, args.digits)}\n")
        else:
            print(trace_table(res, args.rows or None, args.digits) + "\n")
        print(summary(res, args.digits))
    if args.verify:
        print(f"verify: {res.verify(obj)}", file=sys.stderr if args.format != "table" else sys.stdout)
    return ExitStatus.SUCCESS if res.success else ExitStatus.RUN_FAILED


def _run_options(args: argparse.Namespace, obj: Objective) -> dict:
    """The keyword arguments of `minimize` that the command line's options ask for."""
    lr = default_learning_rate(args.optimizer) if args.lr is None else args.lr if len(args.lr) > 1 else args.lr[0]
    if args.schedule:
        if isinstance(lr, list):
            raise ArgumentError("--schedule takes one --lr, the starting rate")
        lr = parse_schedule(args.schedule, lr)
    options = {name: getattr(args, name) for _, name, _ in _HYPER_PARAMETERS if getattr(args, name) is not None}
    return {
        "lr": lr,
        "optimizer": args.optimizer,
        "max_iter": args.iters,
        "tol": args.tol,
        "xtol": args.xtol,
        "ftol": args.ftol,
        "max_time": args.max_time,
        "line_search": args.line_search,
        "clip": args.clip,
        "bounds": _ranges(args.bounds, obj.variables, "--bounds") if args.bounds else None,
        "restarts": args.restarts,
        "domain": _ranges(args.domain, obj.variables, "--domain") if args.domain else None,
        "seed": args.seed,
        "backend": args.backend,
        **options,
    }


def _heading(args: argparse.Namespace, obj: Objective) -> str:
    goal = "maximize" if args.maximize else "minimize"
    rates = ", ".join(f"{lr:g}" for lr in args.lr or [default_learning_rate(args.optimizer)])
    how = f"{args.optimizer}, lr = {rates}" + (f" ({args.schedule})" if args.schedule else "")
    if args.line_search:
        how += ", line search"
    if args.restarts:
        how += f", {args.restarts} starts"
    return f"{goal} f({', '.join(obj.variables)}) = {obj.expr}   ({how})"


def _print_sweep(args: argparse.Namespace, obj: Objective, sweep: LearningRateSweep) -> ExitStatus:
    if args.format == "json":
        runs = [{"lr": lr, **run.to_dict()} for lr, run in sweep.results.items()]
        print(json.dumps({"formula": str(obj.expr), "sweep": runs}, allow_nan=False))
    else:
        print(_heading(args, obj) + "\n")
        print(sweep.table(args.digits))
    return ExitStatus.SUCCESS if any(run.success for run in sweep.results.values()) else ExitStatus.RUN_FAILED


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``symgd`` command; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nothing but symgd's own advice reaches the user
            warnings.showwarning = _show_warning
            warnings.simplefilter("always", SymgdWarning)
            if argv and argv[0] in ("diff", "check", "critical"):
                from . import calculus_cli  # imported here: it imports this module

                parser = calculus_cli.build_parser(argv[0])
                return int(calculus_cli.run(parser.parse_args(_normalize(argv[1:], parser))))
            if argv and argv[0] == "fit":
                from . import fit_cli  # imported here: it imports this module

                parser = fit_cli.build_parser()
                return int(fit_cli.run(parser.parse_args(_normalize(argv[1:], parser))))
            parser = build_parser()
            return int(run(parser.parse_args(_normalize(argv, parser))))
    except SymgdError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return int(ExitStatus.BAD_INPUT)
    except BrokenPipeError:  # the reader went away (| head): nothing more to say
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (keeps Python from complaining at exit)
        return int(ExitStatus.SUCCESS)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return int(ExitStatus.INTERRUPTED)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
