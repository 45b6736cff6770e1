"""The ``symgd diff``, ``symgd check`` and ``symgd critical`` commands. No mathematics here.

``main`` in `symgd.cli` dispatches here when the first argument names one of
them; errors and exit statuses are handled there (0 success, 1 a wrong
derivative, 2 bad input).
"""

from __future__ import annotations

import argparse

import numpy as np

from .calculus import check_derivative, critical_points, derivatives, show
from .cli import PROG, ExitStatus, _count, _digits, _number, _pairs, _Parser, _ranges, add_time_budget, read_constants
from .errors import ArgumentError
from .limits import Limits
from .objective import Objective
from .steps import explain

COMMANDS = ("diff", "check", "critical")


class _SubParser(_Parser):
    def error(self, message: str):
        raise ArgumentError(f"{message} (see '{self.prog} --help')")


def build_parser(command: str) -> argparse.ArgumentParser:
    """The argument parser of one subcommand."""
    about = {
        "diff": "the exact gradient (and Hessian) of a formula",
        "check": "verify hand-derived partial derivatives",
        "critical": "the exact critical points of a formula, classified",
    }[command]
    parser = _SubParser(prog=f"{PROG} {command}", description=about)
    parser.add_argument("formula", help='the function, e.g. "x^2 - 8x + 4"')
    if command == "diff":
        parser.add_argument("--hessian", action="store_true", help="also the second derivatives")
        parser.add_argument("--wrt", help="only with respect to these variables, e.g. x or x,y")
        parser.add_argument("--at", help="values at a point: 1,2 or x=1,y=2")
        form = parser.add_mutually_exclusive_group()
        form.add_argument("--latex", action="store_const", const="latex", dest="form", help="print LaTeX")
        form.add_argument("--code", action="store_const", const="code", dest="form", help="print numpy code")
        parser.add_argument("--steps", action="store_true", help="explain each derivative rule by rule")
    elif command == "check":
        parser.add_argument(
            "--grad",
            action="append",
            help='hand-derived partial derivatives: "2*x - 8", or "x = 2x + y; y = x + 2y" (repeatable)',
        )
        parser.add_argument("--hessian", help='hand-derived second derivatives, rows split by ";": "2, 1; 1, 2"')
        parser.add_argument("--seed", type=int, default=0, help="seed of the random test points")
    else:
        parser.add_argument("--domain", help="where the numeric search looks: lo:hi or x=lo:hi,y=lo:hi (-10:10)")
        parser.add_argument("--starts", type=_count, default=400, help="starts of the numeric search (default 400)")
        parser.add_argument("--seed", type=int, default=0, help="seed of the numeric search")
    parser.add_argument("--vars", help="variable names in order, e.g. y,x (default: sorted)")
    parser.add_argument("--const", help="constants to substitute, e.g. a=2,b=pi/2")
    parser.add_argument("--digits", type=_digits, default=10, help="significant digits (default 10)")
    add_time_budget(parser, "the formula")
    parser.set_defaults(command=command)
    return parser


def run(args: argparse.Namespace) -> ExitStatus:
    variables = [v.strip() for v in args.vars.split(",")] if args.vars else None
    constants = read_constants(args.const)
    limits = Limits(time_budget=args.time_budget or None)
    obj = Objective(args.formula, variables, constants, limits=limits)
    return {"diff": _diff, "check": _check, "critical": _critical}[args.command](args, obj)


def _heading(obj: Objective) -> None:
    print(f"f({', '.join(obj.variables)}) = {obj.expr}")


def _diff(args: argparse.Namespace, obj: Objective) -> ExitStatus:
    wrt = [v.strip() for v in args.wrt.split(",")] if args.wrt else None
    partials = derivatives(obj, wrt, args.hessian)
    point = _point(args.at, obj) if args.at else None
    _heading(obj)
    for p in partials:
        line = show(p, args.form or "text")
        if point is not None:
            line += f"   = {_at(obj, p, point):.{args.digits}g} at {args.at}"
        print(line)
    if args.steps:
        for v in wrt or obj.variables:
            print("\n" + str(explain(obj, v)))
    return ExitStatus.SUCCESS


def _point(text: str, obj: Objective) -> np.ndarray:
    pairs = _pairs(text, "--at")
    values = [_number(v) for _, v in pairs]
    return obj.point(values if pairs[0][0] is None else dict(zip([n for n, _ in pairs], values)))


def _at(obj: Objective, p, x: np.ndarray) -> float:
    i = obj.variables.index(p.wrt[0])
    if len(p.wrt) == 1:
        return float(obj.grad(x)[i])
    return float(obj.hess(x)[i, obj.variables.index(p.wrt[1])])


def _split(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside brackets: ``"atan2(y, x), 1"`` -> ``["atan2(y, x)", "1"]``."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == sep and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()]


def _check(args: argparse.Namespace, obj: Objective) -> ExitStatus:
    if not args.grad and not args.hessian:
        raise ArgumentError("give the derivatives to check with --grad (and/or --hessian)")
    grad = None
    if args.grad:
        items = [item for text in args.grad for item in _split(text, ";") if item]
        named = ["=" in item for item in items]
        if any(named) and not all(named):
            raise ArgumentError('--grad: give all derivatives by name ("x = ...; y = ...") or none')
        if all(named):
            grad = {}
            for item in items:
                name, _, value = item.partition("=")
                grad[name.strip()] = value.strip()
        else:
            grad = items
    hessian = [_split(row, ",") for row in _split(args.hessian, ";")] if args.hessian else None
    report = check_derivative(obj, grad, hessian, seed=args.seed)
    _heading(obj)
    print(report)
    return ExitStatus.SUCCESS if report.ok else ExitStatus.RUN_FAILED


def _critical(args: argparse.Namespace, obj: Objective) -> ExitStatus:
    domain = (-10.0, 10.0)
    if args.domain:
        domain = _ranges(args.domain, obj.variables, "--domain")
        if any(lo is None or hi is None for lo, hi in domain):
            raise ArgumentError("--domain: give a finite range lo:hi for every variable")
    points = critical_points(obj, domain=domain, starts=max(args.starts, 1), seed=args.seed)
    _heading(obj)
    if points.note:
        print(points.note)
    if not points:
        print("no critical points" + (" found" if points.method == "numeric" else ""))
    for p in points:
        print(p.describe(args.digits))
    return ExitStatus.SUCCESS
