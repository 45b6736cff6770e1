"""Stages 3 and 4 fused: the whole descent loop written out as source code for one
formula and one step rule, run by CPython (``backend="python"``) or compiled to
machine code by numba (``backend="numba"``, ``pip install symgd[fast]``).

The generated loop is `symgd.engine.descend` specialised to its problem: f and
its gradient are inlined as straight-line code on Python floats (common
subexpressions computed once, no numpy call per step), every update formula of
the step rule is inlined per coordinate from its one text
(`symgd.optimizers.Rule`), and the trace is appended as it goes. The stopping
rules, divergence tests and messages are the engine's, so results agree with
it to rounding. numba compiles the same source, caches it on disk keyed by the
source (the formula, the rule and the options that shape the loop), and runs
multi-start (by the rules of `symgd.multistart.descend_many`) in parallel.

>>> from symgd import Objective
>>> from symgd.optimizers import gd
>>> res = descend(Objective("x^2 - 8x + 4"), 44.0, gd(0.2), max_iter=3, tol=0)
>>> res.history.x[:, 0].round(6).tolist()
[44.0, 28.0, 18.4, 12.64]
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import math
import os
import re
import sys
import time
from array import array
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import sympy
from sympy.printing.pycode import PythonCodePrinter

from . import compiler
from .engine import GROWTH_LIMIT, finish, setup
from .errors import ArgumentError
from .limits import guarded
from .multistart import CHECK_EVERY, Starts
from .optimizers import GradientTransformation, Rule
from .result import CONVERGED, DIVERGED, FTOL, MAX_ITER, TIME, UNDEFINED, XTOL, History, Result

Array = np.ndarray

BACKENDS = ("auto", "python", "numba")
#: Status codes of the generated loops, by index.
STATUS_NAMES = (CONVERGED, MAX_ITER, TIME, DIVERGED, UNDEFINED, XTOL, FTOL)
_RUNNING = -1
_CODES = {name: i for i, name in enumerate(STATUS_NAMES)}
#: Trace rows a numba loop allocates up front (untouched rows cost no memory); doubled when full.
_FIRST_CAPACITY = 2**17
_BLOCK = 256  # starts a numba thread takes at a time

#: ``backend="auto"`` compiles with numba when the run would otherwise take
#: longer than this (seconds, a rough estimate), or when the loop is cached.
AUTO_SECONDS = 2.0
_PYTHON_STEP_SECONDS = 5e-7  # a generated Python step, per variable
_BATCH_STEP_SECONDS = 4e-9  # a vectorised numpy step, per start and variable
_AUTO_MAX_CODE = 20_000  # characters of inlined f and gradient "auto" still compiles


# -- stage 3: f and its gradient as straight-line code on floats


class _ScalarPrinter(PythonCodePrinter):
    """Python on floats: small integer powers as products (`symgd.compiler.as_product`, as
    the numpy printer), other powers by ``math.pow``, which fails (and the loop then reads
    nan) where ``**`` would return a complex number."""

    def _print_Pow(self, expr, rational=False):
        base, n = expr.base, expr.exp
        product = compiler.as_product(self, expr)
        if product:
            return product
        if n == sympy.S.Half:
            return f"math.sqrt({self._print(base)})"
        if n == -sympy.S.Half:
            return f"(1/math.sqrt({self._print(base)}))"
        if n.is_Integer:  # a float to an integer power is never complex
            return f"{self.parenthesize(base, 1000)}**{int(n)}"
        return f"math.pow({self._print(base)}, {self._print(n)})"

    def _print_Integer(self, expr):
        return repr(float(expr))  # float * float: CPython converts no int at every step


def evaluation_code(symbols: Sequence[sympy.Symbol], f: sympy.Expr, grad: Sequence[sympy.Expr], limits) -> str | None:
    """Statements that set ``f`` and ``g_0 ... g_{n-1}`` from ``x_0 ... x_{n-1}``;
    None where the formula uses something plain Python cannot compute.

    f and the gradient are prepared and shared out into common subexpressions exactly as
    for `Objective.value` and `Objective.grad` (`symgd.compiler.prepared`), so the loop
    computes the same numbers with the same operations."""
    with guarded("compiling the descent loop", limits):
        printer = _ScalarPrinter({"fully_qualified_modules": True, "inline": True, "strict": True})
        lines = []
        outputs = [["f"], [f"g_{j}" for j in range(len(symbols))]]
        for names, exprs in zip(outputs, ([f], list(grad))):
            shared, reduced = compiler.common_subexpressions(compiler.prepared(symbols, exprs)[1])
            try:
                lines += [f"{s} = {printer.doprint(e)}" for s, e in shared]
                lines += [f"{name} = {_scalar(printer, e)}" for name, e in zip(names, reduced)]
            except Exception:  # a function the math module lacks: the loop is not generated
                return None
    return "\n".join(lines)


def _scalar(printer: _ScalarPrinter, expr: sympy.Expr) -> str:
    return repr(float(expr)) if expr.is_Number else printer.doprint(expr)


# -- the update rules, inlined per coordinate


class _Inline(ast.NodeTransformer):
    """A rule's names made unique to rule ``k`` and coordinate ``j``; its array functions made scalar."""

    def __init__(self, rule: Rule, k: int, j: int | None, n: int, locals_: set[str]):
        self.rule, self.k, self.j, self.n, self.locals = rule, k, j, n, locals_
        self.per_coordinate = _assigned(rule.body) - {"u"}

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id == "norm":
            squares = " + ".join(f"u_{j} * u_{j}" for j in range(self.n))
            return ast.parse(f"math.sqrt({squares})", mode="eval").body
        self.generic_visit(node)
        return node

    def visit_Name(self, node):
        name, k, j = node.id, self.k, self.j
        if name in _SCALAR_FUNCTIONS:
            renamed = _SCALAR_FUNCTIONS[name]
        elif name in ("u", "x"):
            renamed = f"{name}_{j}"
        elif name in self.rule.constants or name in self.locals:
            renamed = f"{name}_{k}"
        elif j is not None and (name in self.rule.state or name in self.per_coordinate):
            renamed = f"{name}_{k}_{j}"
        else:
            return node
        return ast.copy_location(ast.parse(renamed, mode="eval").body, node)


_SCALAR_FUNCTIONS = {"sqrt": "math.sqrt", "minimum": "min", "maximum": "max"}


def _assigned(code: str) -> set[str]:
    return {t.id for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Assign) for t in node.targets}


@functools.lru_cache(maxsize=256)
def _inline(body: str, prelude: str, state: tuple[str, ...], constants: tuple[str, ...], k: int, n: int) -> list[str]:
    """The statements of rule ``k`` for ``n`` coordinates: its prelude once, its body per coordinate."""
    rule = Rule(body, dict.fromkeys(constants, 0.0), state, prelude)
    prelude_names = _assigned(rule.prelude) if rule.prelude else set()
    lines = []
    if rule.prelude:
        lines += ast.unparse(_Inline(rule, k, None, n, prelude_names).visit(ast.parse(rule.prelude))).splitlines()
    for j in range(n):
        lines += ast.unparse(_Inline(rule, k, j, n, prelude_names).visit(ast.parse(rule.body))).splitlines()
    return lines


def _constants(rules: Sequence[Rule]) -> tuple[list[str], list[float]]:
    """The rules' hyper-parameters: their names in the loop and their values (passed at run time,
    so that a sweep over learning rates reuses one compiled loop)."""
    names, values = [], []
    for k, rule in enumerate(rules):
        for name, value in rule.constants.items():
            names.append(f"{name}_{k}")
            values.append(float(value))
    return names, values


# -- the loop


class _Pieces:
    """The statements a generated loop is assembled from, for one problem shape.

    ``compiled`` writes them for numba: no ``try``, since numba returns nan
    and inf where Python raises.
    """

    def __init__(self, evaluation: str, rules: Sequence[Rule], n: int, *, maximize, box, xtol, ftol, compiled):
        self.n, self.compiled, self.xtol, self.ftol = n, compiled, xtol, ftol
        J = range(n)
        self.each = each = lambda template: "; ".join(template.format(j=j) for j in J)
        sign = "-" if maximize else ""
        names, _ = _constants(rules)
        self.setup = [
            *(f"{name} = P[{m}]" for m, name in enumerate(names)),
            *([each("lo_{j} = lo[{j}]"), each("hi_{j} = hi[{j}]")] if box else []),
            "inf = math.inf",
            "stop_below = tol if tol > 0 else -1.0",
        ]
        self.states = [f"{s}_{k}_{j}" for k, rule in enumerate(rules) for s in rule.state for j in J]

        if compiled:
            self.evaluate = evaluation.splitlines()
        else:
            nan = " = ".join(["f", *(f"g_{j}" for j in J)])
            self.evaluate = ["try:", *_indent(evaluation.splitlines())]
            self.evaluate += ["except (ArithmeticError, ValueError):", f"    {nan} = math.nan"]

        if box:
            projected = [f"p_{j}" for j in J]
            self.gradient_norm = [each("p_{j} = x_{j} - min(max(x_{j} - " + sign + "g_{j}, lo_{j}), hi_{j})")]
        else:
            projected, self.gradient_norm = [f"g_{j}" for j in J], []
        self.gradient_norm.append(f"gnorm = {_norm(projected, compiled)}")

        self.start = [
            f"sf = {sign}f; best_sf = sf",
            "scale = max(1.0, abs(f))  # the start's scale",
            f"floor = -{GROWTH_LIMIT**2!r} * scale",
            f"status = {_RUNNING}",
            "if not (-inf < f < inf and gnorm < inf):",
            f"    status = {_CODES[UNDEFINED]}",
            "elif gnorm <= stop_below:",
            f"    status = {_CODES[CONVERGED]}",
        ]

        move = [each("u_{j} = " + sign + "g_{j}")]
        for k, rule in enumerate(rules):
            move += _inline(rule.body, rule.prelude, rule.state, tuple(rule.constants), k, n)
        if any(re.search(r"\bt\b", line) for line in move):
            move.insert(0, "t = float(i)")  # powers of a float by a float: C's pow, as CPython and numpy take it
        if xtol:
            move.append(each("o_{j} = x_{j}"))
        move.append(each("x_{j} = min(max(x_{j} + u_{j}, lo_{j}), hi_{j})" if box else "x_{j} = x_{j} + u_{j}"))
        self.move = _forward(move, [f"u_{j}" for j in J])

        self.stops = []
        if xtol:
            self.stops += [f"if {_norm([f'x_{j} - o_{j}' for j in J], compiled)} <= xtol:", *_stop(XTOL)]
        if ftol:
            self.stops += ["if abs(sf - sf_old) <= ftol * max(1.0, abs(sf), abs(sf_old)):", *_stop(FTOL)]
        self.sign = sign

    def step(self, record: Sequence[str] = (), deadline: bool = False) -> list[str]:
        """One step from ``x_j``, ``g_j``: the move, f and the gradient there, and the stopping
        rules, which ``break`` with a status."""
        # sf: the value being minimised; f itself, unless climbing
        sf = "sf" if self.sign else "f"
        before, after = (["sf_old = sf"], []) if self.sign else ([], ["sf_old = f"])
        lines = [
            *(["if time.perf_counter() > deadline:", "    i -= 1", *_stop(TIME)] if deadline else []),
            *(after if self.ftol else []),
            *self.move,
            *self.evaluate,
            *record,
            *self.gradient_norm,
            *(before if self.ftol else []),
            *([f"sf = {self.sign}f"] if self.sign else []),
            # the engine's test, floor < sf < best_sf + GROWTH_LIMIT * max(|best_sf|, scale), split by
            # whether f improved (then only the floor can fail); nan fails both branches
            "if sf < best_sf and gnorm < inf:",
            "    if not sf > floor:",
            *_indent(_stop(DIVERGED)),
            "    best = i; best_sf = sf",
            f"elif not (sf < best_sf + {GROWTH_LIMIT!r} * max(abs(best_sf), scale) and gnorm < inf):",
            *_stop(DIVERGED),
            *self.stops,
            "if gnorm <= stop_below:",
            *_stop(CONVERGED),
        ]
        return [re.sub(r"\bsf\b", sf, line) for line in lines]


def _forward(lines: Sequence[str], names: Sequence[str]) -> list[str]:
    """The statements with an assignment to one of ``names`` substituted into the statement
    that is the one use of its value: ``u_0 = g_0; u_0 = -lr_0 * u_0; x_0 = x_0 + u_0``
    becomes ``x_0 = x_0 + -lr_0 * g_0``. The expression trees, and so the floating-point
    operations, stay the same; CPython stores and loads less."""
    statements = ast.parse("\n".join(lines)).body
    i = 0
    while i < len(statements):
        target = _single_target(statements[i])
        use = _only_use(statements, i) if target in names else None
        if use is None:
            i += 1
            continue
        statements[use] = _Substitute(target, statements[i].value).visit(statements[use])
        del statements[i]
        i = max(i - 1, 0)  # the statement before may now have a single use too
    return [ast.unparse(statement) for statement in statements]


def _single_target(statement: ast.stmt) -> str | None:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
        return statement.targets[0].id
    return None


def _names(node: ast.AST, context=ast.Load) -> list[str]:
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, context)]


def _only_use(statements: list[ast.stmt], i: int) -> int | None:
    """The index of the one statement that reads the value assigned by statement ``i``, if it is
    read exactly once before it is assigned again (none of the names it is made of changing meanwhile)."""
    name, reads = _single_target(statements[i]), set(_names(statements[i].value))
    uses = []
    for k in range(i + 1, len(statements)):
        loads = _names(statements[k]).count(name)
        uses += [k] * loads
        if len(uses) > 1:
            return None
        if name in _names(statements[k], ast.Store):
            break
        if not uses and reads & set(_names(statements[k], ast.Store)):
            return None
    if len(uses) == 1 and isinstance(statements[uses[0]], ast.Assign):
        return uses[0]
    return None


class _Substitute(ast.NodeTransformer):
    def __init__(self, name: str, value: ast.expr):
        self.name, self.value = name, value

    def visit_Name(self, node):
        return self.value if node.id == self.name and isinstance(node.ctx, ast.Load) else node


def _stop(status: str) -> list[str]:
    return [f"    status = {_CODES[status]}", "    break"]


def single_source(pieces: _Pieces, deadline: bool = False) -> str:
    """``run(x, P, lo, hi, max_iter, tol, xtol, ftol, deadline) -> (status, i, best, f, trace)``:
    one start, with its trace; the end point is left in ``x``."""
    each, n = pieces.each, pieces.n
    if pieces.compiled:
        record = [f"TF[i, 0] = f; {each('TX[i, {j}] = x_{j}')}; {each('TG[i, {j}] = g_{j}')}"]
        allocate = f"TX = np.empty((cap, {n})); TF = np.empty((cap, 1)); TG = np.empty((cap, {n}))"
        grow = ["TX = _grow(TX, cap); TF = _grow(TF, cap); TG = _grow(TG, cap)"]
        trace = "(TX, TF, TG)"
    else:  # arrays of C doubles: numpy reads them without a copy
        record = [f"TF[i] = f; {each('TX_{j}[i] = x_{j}')}; {each('TG_{j}[i] = g_{j}')}"]
        columns = [f"T{v}_{j}" for v in "XG" for j in range(n)]
        allocate = "; ".join(f"{t} = array('d', bytes(8 * cap))" for t in ["TF", *columns])
        grow = ["more = bytes(8 * (cap - len(TF)))", "; ".join(f"{t}.frombytes(more)" for t in ["TF", *columns])]
        trace = f"(TF, [{each('TX_{j}').replace(';', ',')}], [{each('TG_{j}').replace(';', ',')}])"
    start_trace = ["cap = min(max_iter, FIRST_CAPACITY) + 1", allocate]
    # the steps run in blocks that fit the trace, which grows between blocks (numba keeps a
    # loop fast only while the arrays it writes are not reassigned in it)
    loop = [
        "first = 1",
        "while True:",
        "    last = min(cap, max_iter + 1)",
        "    for i in range(first, last):  # i: the step being taken",
        *_indent(_indent(pieces.step(record, deadline))),
        f"    if status != {_RUNNING}:",
        "        break",
        "    if last == max_iter + 1:",
        f"        i = max_iter; status = {_CODES[MAX_ITER]}",
        "        break",
        "    cap = min(2 * cap, max_iter + 1)",
        *_indent(grow),
        "    first = last",
    ]
    body = [
        *pieces.setup,
        each("x_{j} = x[{j}]"),
        *(f"{state} = 0.0" for state in pieces.states),
        *start_trace,
        *pieces.evaluate,
        "i = 0; best = 0",
        *record,
        *pieces.gradient_norm,
        *pieces.start,
        f"if status == {_RUNNING}:",
        *_indent(loop),
        each("x[{j}] = x_{j}"),
        f"return status, i, best, f, {trace}",
    ]
    return "\n".join(["def run(x, P, lo, hi, max_iter, tol, xtol, ftol, deadline):", *_indent(body)])


def many_source(pieces: _Pieces) -> str:
    """``run_many(X, P, lo, hi, max_iter, tol, xtol, ftol, every, F, S, N)`` for numba: every
    column of ``X`` (n, starts) by the rules of `symgd.multistart.descend_many` (f and divergence
    checked every ``every`` steps and at the last), without traces. The end points are left in
    ``X``, f there in ``F``, the status codes in ``S``, the steps taken in ``N`` (-1: none).

    Threads take blocks of starts. Within a block the running starts are kept packed at the
    front of its arrays, and each step is taken for all of them in one loop without a branch,
    which the compiler runs several starts at a time in vector registers; a start that stops
    is moved out after the step. A step that checks nothing leaves f unused, and the compiler
    drops its computation.
    """
    each, n, sign = pieces.each, pieces.n, pieces.sign
    carried = [*(f"x_{j}" for j in range(n)), *(f"g_{j}" for j in range(n)), *pieces.states, "f", "best_sf", "scale"]
    arrays = {name: f"A{k}" for k, name in enumerate(carried)}
    load = [f"{name} = {arrays[name]}[s]" for name in carried]

    def code(status: str, test: str) -> str:  # the first rule that holds gives the status
        return f"code = {_CODES[status]} if (code == {_RUNNING}) & ({test}) else code"

    def step(check: bool, stops: bool) -> list[str]:
        """One step for every running start of the block; ``stops``: whether a start can stop."""
        lines = [*load, *pieces.move, *pieces.evaluate]
        if stops:
            lines += [*pieces.gradient_norm, f"code = {_RUNNING}"]
            if pieces.xtol:
                lines.append(code(XTOL, f"{_norm([f'x_{j} - o_{j}' for j in range(n)], True)} <= xtol"))
        if check:
            lines += [
                f"sf_old = {sign}{arrays['f']}[s]; sf = {sign}f",
                "best_sf = sf if not best_sf <= sf else best_sf  # nan wins, as in numpy's minimum",
                f"sane = sf - best_sf <= {GROWTH_LIMIT!r} * max(abs(best_sf), scale)",
                f"sane = sane & (sf >= -{GROWTH_LIMIT**2!r} * scale)  # not unbounded below",
                code(DIVERGED, "not sane"),
            ]
            if pieces.ftol:
                lines.append(code(FTOL, "abs(sf - sf_old) <= ftol * max(1.0, max(abs(sf), abs(sf_old)))"))
        if stops:
            lines += [code(CONVERGED, "gnorm <= stop_below"), "C[s] = code", f"stopped += code != {_RUNNING}"]
        kept = carried if check else carried[:-3]  # f and best_sf change only where they are checked
        return lines + [f"{arrays[name]}[s] = {name}" for name in kept]

    def steps(check: bool) -> list[str]:
        loop = "for s in range(running):"
        if check:
            return ["stopped = 0", loop, *_indent(step(True, True))]
        # between checks only the gradient and xtol can stop a start; without them, nothing can
        if pieces.xtol:
            return ["stopped = 0", loop, *_indent(step(False, True))]
        return [
            "stopped = 0",
            "if measure:",
            "    " + loop,
            *_indent(_indent(step(False, True))),
            "else:",
            "    " + loop,
            *_indent(_indent(step(False, False))),
        ]

    swap = [f"{a}[s] = {a}[running]" for a in arrays.values()]
    pack = [  # move the starts that stopped at step i out, keeping the running ones at the front
        "s = 0",
        "while stopped and s < running:",
        f"    if C[s] == {_RUNNING}:",
        "        s += 1",
        "        continue",
        "    k = b0 + ID[s]",
        "    S[k] = C[s]; N[k] = i if C[s] != " + str(_CODES[UNDEFINED]) + " else -1",
        *(f"    X[{j}, k] = {arrays[f'x_{j}']}[s]" for j in range(n)),
        "    running -= 1; stopped -= 1",
        "    ID[s] = ID[running]; C[s] = C[running]",
        *_indent(swap),
    ]
    block = [
        "b0 = b * BLOCK",
        "count = min(starts, b0 + BLOCK) - b0",
        *(f"{a} = np.empty(count)" for a in arrays.values()),
        "ID = np.arange(count); C = np.empty(count, np.int64)",
        "running = count; stopped = 0; i = 0",
        "for s in range(count):",
        *_indent(
            [
                each("x_{j} = X[{j}, b0 + s]"),
                *(f"{state} = 0.0" for state in pieces.states),
                *pieces.evaluate,
                *pieces.gradient_norm,
                f"sf = {sign}f; best_sf = sf; scale = max(1.0, abs(sf))",
                f"code = {_RUNNING}",
                "if not (-inf < sf < inf and gnorm < inf):",
                f"    code = {_CODES[UNDEFINED]}",
                "elif gnorm <= stop_below:",
                f"    code = {_CODES[CONVERGED]}",
                f"C[s] = code; stopped += code != {_RUNNING}",
                *(f"{arrays[name]}[s] = {name}" for name in carried),
            ]
        ),
        *pack,
        "for i in range(1, max_iter + 1):  # i: the step being taken",
        "    if running == 0:",
        "        break",
        "    if i % every == 0 or i == max_iter:",
        *_indent(_indent(steps(check=True))),
        "    else:",
        *_indent(_indent(steps(check=False))),
        *_indent(pack),
        "for s in range(running):  # ran out of steps",
        "    k = b0 + ID[s]",
        f"    S[k] = {_CODES[MAX_ITER]}; N[k] = max_iter",
        *(f"    X[{j}, k] = {arrays[f'x_{j}']}[s]" for j in range(n)),
        "for k in range(b0, b0 + count):  # f at every end point",
        *_indent([each("x_{j} = X[{j}, k]"), *pieces.evaluate, "F[k] = f"]),
    ]
    body = [*pieces.setup, "measure = tol > 0", "starts = X.shape[1]"]
    body += ["for b in numba.prange((starts + BLOCK - 1) // BLOCK):", *_indent(block)]
    signature = "def run_many(X, P, lo, hi, max_iter, tol, xtol, ftol, every, F, S, N):"
    return "\n".join([signature, *_indent(body)])


def _indent(lines: Sequence[str]) -> list[str]:
    return ["    " + line for line in lines]


def _norm(terms: Sequence[str], compiled: bool) -> str:
    """Euclidean norm of ``terms``, as the engine takes it (``math.hypot``; numba's takes two)."""
    if len(terms) == 1:
        term = terms[0]
        return f"({term} if {term} >= 0.0 else -{term})" if term.isidentifier() else f"abs({term})"
    if len(terms) == 2 or not compiled:
        return f"math.hypot({', '.join(terms)})"
    return f"math.sqrt({' + '.join(f'({t}) * ({t})' for t in terms)})"


# -- running it: CPython


@functools.lru_cache(maxsize=64)
def _python_loop(source: str):
    namespace = {"math": math, "time": time, "array": array, "FIRST_CAPACITY": _FIRST_CAPACITY}
    exec(compile(source, "<symgd loop>", "exec"), namespace)  # generated from a checked formula
    return namespace["run"]


def _columns(columns: list[array], rows: int) -> Array:
    """The first ``rows`` of each column, side by side, in a new array."""
    return np.column_stack([np.frombuffer(column)[:rows] for column in columns])


# -- running it: numba, cached on disk

_NUMBA_HEADER = '''\
"""A descent loop generated by symgd for one formula and step rule."""
import math

import numba
import numpy as np

FIRST_CAPACITY = {capacity}
BLOCK = {block}


@numba.njit(cache=True)
def _grow(a, rows):
    grown = np.empty((rows, a.shape[1]))
    grown[: a.shape[0]] = a
    return grown


'''


def numba_available() -> bool:
    """Is numba installed (the extra ``symgd[fast]``)?"""
    return importlib.util.find_spec("numba") is not None


def cache_dir() -> Path:
    """Where compiled loops are kept: ``$SYMGD_CACHE_DIR``, else ``~/.cache/symgd`` (``$XDG_CACHE_HOME``)."""
    if os.environ.get("SYMGD_CACHE_DIR"):
        return Path(os.environ["SYMGD_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "symgd"


def _numba_source(pieces: _Pieces) -> str:
    single = '@numba.njit(cache=True, error_model="numpy")\n' + single_source(pieces)
    many = '@numba.njit(cache=True, parallel=True, error_model="numpy")\n' + many_source(pieces)
    return _NUMBA_HEADER.format(capacity=_FIRST_CAPACITY, block=_BLOCK) + single + "\n\n\n" + many + "\n"


def _module_path(source: str) -> Path:
    return cache_dir() / f"loop_{hashlib.sha256(source.encode()).hexdigest()[:24]}.py"


def is_cached(source: str, function: str = "run") -> bool:
    """Has numba compiled ``function`` (``"run"`` or ``"run_many"``) of this loop on this machine before?"""
    index = _module_path(source)
    index = index.parent / "__pycache__" / f"{index.stem}.{function}-*.nbi"
    if index not in _CACHED:
        if not any(index.parent.glob(index.name)):
            return False
        _CACHED.add(index)
    return True


_CACHED: set[Path] = set()  # compiled loops seen: they stay compiled


@functools.lru_cache(maxsize=64)
def _numba_module(source: str):
    if not numba_available():
        raise ArgumentError("backend='numba' needs numba: pip install 'symgd[fast]'")
    path = _module_path(source)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(source)
            partial.replace(path)  # atomic: a concurrent run never reads half a file
    except OSError as error:
        raise ArgumentError(f"cannot write the compiled loop to {path.parent} ({error}); set SYMGD_CACHE_DIR") from None
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # numba's cache locates a function by its module
    spec.loader.exec_module(module)
    return module


# -- the entry points


class Plan:
    """The loops generated for one objective and step rule: ``source`` (the single-start
    loop), and how to run it or its many-start twin."""

    def __init__(self, objective, step: GradientTransformation, *, maximize: bool, box: bool, xtol, ftol, deadline):
        evaluation = objective.evaluation_code
        if evaluation is None or step.rules is None:
            raise ArgumentError("this run cannot be generated")  # callers check `reason_not_generated` first
        self.n = objective.n
        self.P = _constants(step.rules)[1]
        shapes = tuple((r.body, r.prelude, r.state, tuple(r.constants)) for r in step.rules)
        self.python, self.numba = _sources(evaluation, shapes, self.n, maximize, box, bool(xtol), bool(ftol), deadline)


@functools.lru_cache(maxsize=128)
def _sources(evaluation, shapes, n, maximize, box, xtol, ftol, deadline) -> tuple[str, str]:
    """The Python loop and the numba module for rules of these shapes (their constants are run-time values)."""
    rules = [Rule(body, dict.fromkeys(names, 0.0), state, prelude) for body, prelude, state, names in shapes]
    shape = {"maximize": maximize, "box": box, "xtol": xtol, "ftol": ftol}
    python = single_source(_Pieces(evaluation, rules, n, compiled=False, **shape), deadline)
    return python, _numba_source(_Pieces(evaluation, rules, n, compiled=True, **shape))


def reason_not_generated(
    objective, step: GradientTransformation, *, callback=None, numba: bool = False, rules=None, keep_all=False
) -> str | None:
    """Why a run must use the general engine rather than a generated loop (None if it need not);
    with ``numba``, why the numba loop cannot run it."""
    if step.rules is None:
        return "the line search, newton and custom step rules run on the general engine"
    if callback is not None:
        return "callbacks run on the general engine"
    if numba and rules and rules.get("max_time") is not None:
        return "max_time is checked by backend='python' only"
    if numba and keep_all:
        return "keep_history='all' runs on backend='python'"
    if objective.n == 0 or objective.evaluation_code is None:
        return "the formula has no variable, or uses a function outside Python's math module"
    return None


def choose_backend(
    backend: str,
    objective,
    step,
    *,
    maximize: bool,
    rules: dict,
    work: float,
    callback=None,
    batch=False,
    keep_all=False,
) -> str:
    """What runs a descent: ``"numba"``, ``"python"`` (the generated loop in CPython) or
    ``"engine"`` (the general numpy engine; for a batch, the vectorised multi-start).

    ``work`` is the number of variable-steps (times the starts, for a batch);
    ``"auto"`` picks numba when it would otherwise take more than `AUTO_SECONDS`,
    or when numba has compiled this loop before.
    """
    if backend not in BACKENDS:
        raise ArgumentError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    compiled = reason_not_generated(objective, step, callback=callback, numba=True, rules=rules, keep_all=keep_all)
    if backend == "numba":
        if not numba_available():
            raise ArgumentError("backend='numba' needs numba: pip install 'symgd[fast]'")
        if compiled:
            raise ArgumentError(f"backend='numba' cannot run this: {compiled}")
        return "numba"
    small = len(objective.evaluation_code or "") <= _AUTO_MAX_CODE  # LLVM takes long on huge formulas
    if backend == "auto" and compiled is None and small and numba_available():
        seconds = work * (_BATCH_STEP_SECONDS if batch else _PYTHON_STEP_SECONDS)
        shape = {
            "maximize": maximize,
            "box": rules.get("bounds") is not None,
            "xtol": rules["xtol"],
            "ftol": rules["ftol"],
        }
        plan = Plan(objective, step, deadline=False, **shape)
        if seconds > AUTO_SECONDS or is_cached(plan.numba, "run_many" if batch else "run"):
            return "numba"
    if batch or reason_not_generated(objective, step, callback=callback):
        return "engine"
    return "python"


def descend(
    objective,
    x0,
    step: GradientTransformation,
    *,
    backend: str = "python",
    max_iter: int = 1000,
    tol: float = 1e-8,
    xtol: float = 0.0,
    ftol: float = 0.0,
    max_time: float | None = None,
    bounds=None,
    maximize: bool = False,
) -> Result:
    """`symgd.engine.descend` on ``objective`` by its generated loop (``backend`` "python" or "numba")."""
    x, names, rules, box = setup(x0, objective.variables, bounds, max_iter, tol, xtol, ftol, max_time)
    plan = Plan(objective, step, maximize=maximize, box=box is not None, xtol=xtol, ftol=ftol, deadline=bool(max_time))
    lo, hi = _sides(box, x.size)
    args = (rules.max_iter, rules.tol, rules.xtol, rules.ftol)
    if backend == "numba":
        run = _numba_module(plan.numba).run
        status, i, best, _, (X, F, G) = run(x, np.array(plan.P), lo, hi, *args, 0.0)
        X, F, G = X[: i + 1], F[: i + 1, 0], G[: i + 1]
        if len(X.base) > i + 1:  # keep only the rows written, not the whole buffer
            X, F, G = X.copy(), F.copy(), G.copy()
    else:
        deadline = time.perf_counter() + rules.max_time if rules.max_time else 0.0
        run = _python_loop(plan.python)
        status, i, best, _, (F, X, G) = run(x.tolist(), plan.P, lo.tolist(), hi.tolist(), *args, deadline)
        X, F, G = _columns(X, i + 1), np.frombuffer(F)[: i + 1].copy(), _columns(G, i + 1)
    history = History(X, F, G)
    return finish(history, STATUS_NAMES[status], int(i), int(best), names, rules, maximize, box)


def _sides(box, n: int) -> tuple[Array, Array]:
    """The box's lower and upper bounds, -inf and inf without one (the loops take both always)."""
    return box if box is not None else (np.full(n, -np.inf), np.full(n, np.inf))


def descend_many(
    objective,
    X0: Array,
    step: GradientTransformation,
    *,
    max_iter: int = 1000,
    tol: float = 1e-8,
    xtol: float = 0.0,
    ftol: float = 0.0,
    max_time: None = None,
    bounds=None,
    maximize: bool = False,
):
    """`symgd.multistart.descend_many` by the numba loop, in parallel over blocks of starts,
    with the same rules and the same results (f and divergence checked every `CHECK_EVERY` steps)."""
    X = np.array(X0, dtype=float)
    n, count = X.shape
    _, _, rules, box = setup(X[:, 0], objective.variables, bounds, max_iter, tol, xtol, ftol, None)
    if box is not None:
        X = np.clip(X, box[0][:, None], box[1][:, None])
    X0 = X.copy()
    plan = Plan(objective, step, maximize=maximize, box=box is not None, xtol=xtol, ftol=ftol, deadline=False)
    lo, hi = _sides(box, n)
    F, S, N = np.empty(count), np.empty(count, dtype=np.int64), np.empty(count, dtype=np.int64)
    every = 1 if rules.ftol else CHECK_EVERY
    args = (rules.max_iter, rules.tol, rules.xtol, rules.ftol, every, F, S, N)
    _numba_module(plan.numba).run_many(X, np.array(plan.P), lo, hi, *args)
    N[N < 0] = max(0, int(N.max()))  # never started (undefined): counted to the last step, as descend_many does
    return Starts(x0=X0, x=X, fun=F, status=np.array(STATUS_NAMES, dtype=object)[S], nit=N)
