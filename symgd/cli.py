"""The ``symgd`` command: parse arguments, call the library, print. No mathematics here.

Exit status: 0 success, 1 the run did not succeed (diverged, did not
converge), 2 bad input or usage; errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from enum import IntEnum

from . import __version__
from .errors import ArgumentError, SymgdError, SymgdWarning
from .limits import Limits
from .objective import Objective
from .optimize import minimize
from .parse import parse
from .report import summary, trace_csv, trace_table
from .sandbox import safe_objective

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
            '  symgd "100*l - l**2" --maximize --x0 57'
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("formula", help='the function, e.g. "x^2 - 8x + 4" or "x**2 + x*y + y**2"')
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
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
    parser.add_argument(
        "--time-budget",
        type=float,
        default=Limits.time_budget,
        metavar="SECONDS",
        help="most seconds of symbolic work on the formula (default %(default)s; 0 = no limit)",
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="read and derive the formula in a worker process with CPU, memory and time limits",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    return parser


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def _digits(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 17:
        raise ValueError(text)
    return value


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


def _start(text: str | None):
    if text is None:
        return None
    pairs = _pairs(text, "--x0")
    if pairs[0][0] is None:
        return [_number(value) for _, value in pairs]
    return {name: _number(value) for name, value in pairs}


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
    constants = dict(_pairs(args.const, "--const")) if args.const else None
    if constants and None in constants:
        raise ArgumentError("--const needs names: a=2,b=3")
    limits = Limits(time_budget=args.time_budget or None)
    if args.sandbox:
        obj = safe_objective(args.formula, variables, constants, limits=limits)
    else:
        obj = Objective(args.formula, variables, constants, limits=limits)
    res = minimize(obj, _start(args.x0), lr=args.lr, max_iter=args.iters, tol=args.tol, maximize=args.maximize)
    if args.format == "json":
        print(json.dumps({"formula": str(obj.expr), **res.to_dict()}, allow_nan=False))
    elif args.format == "csv":
        print(trace_csv(res), end="")
        if not res.success:
            print(f"{PROG}: {res.message}", file=sys.stderr)
    else:
        goal = "maximize" if args.maximize else "minimize"
        print(f"{goal} f({', '.join(obj.variables)}) = {obj.expr}   (gd, lr = {args.lr:g})\n")
        print(trace_table(res, args.rows or None, args.digits))
        print()
        print(summary(res, args.digits))
    return ExitStatus.SUCCESS if res.success else ExitStatus.RUN_FAILED


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``symgd`` command; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nothing but symgd's own advice reaches the user
            warnings.showwarning = _show_warning
            warnings.simplefilter("always", SymgdWarning)
            return int(run(parser.parse_args(_normalize(argv, parser))))
    except SymgdError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return int(ExitStatus.BAD_INPUT)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return int(ExitStatus.INTERRUPTED)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
