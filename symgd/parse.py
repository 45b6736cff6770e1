"""Stage 1: formula text -> sympy expression, without ever executing the text.

The string is split into tokens and read by a small recursive-descent parser
that accepts only numbers, names, ``+ - * / ** ^``, brackets, implicit
multiplication (``2x``, ``3(x+1)``, ``x y``), superscript powers (``x²``) and
calls of the whitelisted functions in `FUNCTIONS`. The sympy expression is
built node by node from that reading; nothing is handed to ``eval``,
``sympify`` or ``parse_expr``.

>>> parse("x^2 - 8x + 4").expr
x**2 - 8*x + 4
>>> parse("0.001x^4 + sin(y)").variables
('x', 'y')
"""

from __future__ import annotations

import difflib
import keyword
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Real

import sympy

from .errors import FormulaError, LimitError
from .limits import DEFAULT_LIMITS, Limits, guarded


def _sigmoid(z):
    return 1 / (1 + sympy.exp(-z))


def _softplus(z):
    return sympy.log(1 + sympy.exp(z))


def _relu(z):
    return sympy.Max(0, z)


# name -> (builder, smallest and largest number of arguments; None = any)
FUNCTIONS: dict[str, tuple[Callable[..., sympy.Expr], int, int | None]] = {
    "exp": (sympy.exp, 1, 1),
    "log": (sympy.log, 1, 2),
    "ln": (sympy.log, 1, 1),
    "log10": (lambda z: sympy.log(z, 10), 1, 1),
    "log2": (lambda z: sympy.log(z, 2), 1, 1),
    "sqrt": (sympy.sqrt, 1, 1),
    "cbrt": (lambda z: sympy.sign(z) * sympy.Abs(z) ** sympy.Rational(1, 3), 1, 1),  # the real cube root
    "sin": (sympy.sin, 1, 1),
    "cos": (sympy.cos, 1, 1),
    "tan": (sympy.tan, 1, 1),
    "cot": (sympy.cot, 1, 1),
    "sec": (sympy.sec, 1, 1),
    "csc": (sympy.csc, 1, 1),
    "asin": (sympy.asin, 1, 1),
    "acos": (sympy.acos, 1, 1),
    "atan": (sympy.atan, 1, 1),
    "arcsin": (sympy.asin, 1, 1),
    "arccos": (sympy.acos, 1, 1),
    "arctan": (sympy.atan, 1, 1),
    "atan2": (sympy.atan2, 2, 2),
    "sinh": (sympy.sinh, 1, 1),
    "cosh": (sympy.cosh, 1, 1),
    "tanh": (sympy.tanh, 1, 1),
    "asinh": (sympy.asinh, 1, 1),
    "acosh": (sympy.acosh, 1, 1),
    "atanh": (sympy.atanh, 1, 1),
    "abs": (sympy.Abs, 1, 1),
    "Abs": (sympy.Abs, 1, 1),
    "sign": (sympy.sign, 1, 1),
    "min": (sympy.Min, 1, None),
    "Min": (sympy.Min, 1, None),
    "max": (sympy.Max, 1, None),
    "Max": (sympy.Max, 1, None),
    "hypot": (lambda a, b: sympy.sqrt(a**2 + b**2), 2, 2),
    "erf": (sympy.erf, 1, 1),
    "sigmoid": (_sigmoid, 1, 1),
    "softplus": (_softplus, 1, 1),
    "relu": (_relu, 1, 1),
}

CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "π": sympy.pi, "e": sympy.E, "E": sympy.E}

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_OPERATOR_ALIASES = {"^": "**", "−": "-", "×": "*", "·": "*", "⋅": "*", "÷": "/"}
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<super>[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)
  | (?P<name>(?:(?![⁰¹²³⁴⁵⁶⁷⁸⁹\d])\w)(?:(?![⁰¹²³⁴⁵⁶⁷⁸⁹])\w)*)
  | (?P<op>\*\*|[-+*/^(),−×·⋅÷])
    """,
    re.VERBOSE,
)
# Python's keywords cannot be names in a formula; 'lambda' is kept as the Greek letter.
_KEYWORDS = frozenset(keyword.kwlist) - {"lambda"}
_NAME = re.compile(r"(?:(?![⁰¹²³⁴⁵⁶⁷⁸⁹\d_])\w)(?:(?![⁰¹²³⁴⁵⁶⁷⁸⁹])\w)*\Z")
_EXPLAIN_CHAR = {
    ".": "attribute access is not allowed",
    "[": "subscripts and lists are not allowed",
    "]": "subscripts and lists are not allowed",
    "'": "strings are not allowed",
    '"': "strings are not allowed",
    "=": "write an expression, not an equation or assignment",
    ":": "lambdas and slices are not allowed",
    "|": "write abs(...) for an absolute value",
    "!": "factorials are not supported",
    "%": "the modulo operator is not supported",
}


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "super", "op", "end"
    text: str
    column: int  # 1-based


@dataclass(frozen=True)
class Parsed:
    """A parsed formula: the expression and its variables, in order."""

    expr: sympy.Expr
    symbols: tuple[sympy.Symbol, ...]

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.symbols)


def tokenize(text: str, limits: Limits = DEFAULT_LIMITS) -> list[Token]:
    """Split ``text`` into tokens; unknown characters raise `FormulaError`.

    >>> [t.text for t in tokenize("2x²+1")]
    ['2', 'x', '²', '+', '1', '']
    """
    if len(text) > limits.max_length:
        raise LimitError(f"the formula is {len(text)} characters long; the limit is {limits.max_length}")
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            hint = _EXPLAIN_CHAR.get(char, "it is not part of a formula")
            raise FormulaError(f"unexpected character {char!r} at column {pos + 1}: {hint}", pos + 1)
        kind = match.lastgroup
        if kind != "space":
            tokens.append(Token(kind, match.group(), pos + 1))
            if len(tokens) > limits.max_nodes:
                raise LimitError(f"the formula has more than {limits.max_nodes} tokens")
        pos = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def check_name(name: str) -> str:
    """Return ``name`` if it can be a variable name, else raise `FormulaError`.

    Names are letters, digits and underscores, starting with a letter, so they
    can never steer generated code.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise FormulaError(
            f"{name!r} cannot be a variable name: use letters, digits and underscores, starting with a letter"
        )
    return name


def natural_key(name: str) -> list:
    """Sort key that orders ``x2`` before ``x10``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name) if part]


class _Reader:
    """Recursive-descent reader over the tokens, building sympy nodes as it goes.

    Grammar (loosest first)::

        expr   := term (("+" | "-") term)*
        term   := unary (("*" | "/") unary | <juxtaposed> power)*
        unary  := ("+" | "-") unary | power
        power  := atom superscript* (("**" | "^") unary)?
        atom   := number | name | function "(" expr ("," expr)* ")" | "(" expr ")"
    """

    def __init__(self, tokens: list[Token], symbols: Mapping[str, sympy.Symbol], limits: Limits):
        self.tokens = tokens
        self.index = 0
        self.depth = 0
        self.symbols = dict(symbols)
        self.limits = limits

    # -- token helpers
    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def op(self) -> str | None:
        token = self.token
        return _OPERATOR_ALIASES.get(token.text, token.text) if token.kind == "op" else None

    def expect(self, text: str, opened_at: Token) -> None:
        if self.op() != text:
            raise self.unexpected(f"expected {text!r} to close the {opened_at.text!r} at column {opened_at.column}")
        self.advance()

    def unexpected(self, hint: str = "") -> FormulaError:
        token = self.token
        where = "end of the formula" if token.kind == "end" else f"{token.text!r} at column {token.column}"
        return FormulaError(f"unexpected {where}" + (f": {hint}" if hint else ""), token.column)

    def nest(self, token: Token) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise LimitError(
                f"the formula nests more than {self.limits.max_depth} levels deep (at column {token.column})"
            )

    # -- grammar
    def formula(self) -> sympy.Expr:
        if self.token.kind == "end":
            raise FormulaError("the formula is empty", 1)
        value = self.expr()
        if self.token.kind != "end":
            raise self.unexpected("write * for multiplication" if self.token.kind == "number" else "")
        return value

    def expr(self) -> sympy.Expr:
        terms = [self.term()]
        while (op := self.op()) in ("+", "-"):
            self.advance()
            right = self.term()
            terms.append(right if op == "+" else -right)
        return sympy.Add(*terms)  # one flattening, not one per term

    def term(self) -> sympy.Expr:
        factors = [self.unary()]
        while True:
            op = self.op()
            if op in ("*", "/"):
                token = self.advance()
                right = self.unary()
                factors.append(right if op == "*" else _reciprocal(right, token))
            elif self.token.kind == "name" or op == "(":
                factors.append(self.power())  # implicit multiplication: 2x, 3(x+1), x y
            else:
                _check_product_digits(factors, self.token, self.limits)
                return sympy.Mul(*factors)

    def unary(self) -> sympy.Expr:
        op = self.op()
        if op not in ("+", "-"):
            return self.power()
        token = self.advance()
        self.nest(token)
        value = self.unary()
        self.depth -= 1
        return -value if op == "-" else value

    def power(self) -> sympy.Expr:
        value = self.atom()
        if self.token.kind == "super":
            token = self.advance()
            exponent = token.text.translate(_SUPERSCRIPTS)
            if not re.fullmatch(r"-?\d+", exponent) or self.token.kind == "super":
                raise FormulaError(f"cannot read the superscript at column {token.column}", token.column)
            sign, digits = (-1, exponent[1:]) if exponent.startswith("-") else (1, exponent)
            value = _power(
                value, sign * _number(Token("number", digits, token.column), self.limits), token, self.limits
            )
        if self.op() == "**":
            token = self.advance()
            self.nest(token)
            exponent = self.unary()  # right-associative: 2^3^2 = 2^9; x^-1 allowed
            self.depth -= 1
            value = _power(value, exponent, token, self.limits)
        return value

    def atom(self) -> sympy.Expr:
        token = self.token
        if token.kind == "number":
            self.advance()
            return _number(token, self.limits)
        if token.kind == "name":
            self.advance()
            return self.name(token)
        if self.op() == "(":
            self.advance()
            self.nest(token)
            value = self.expr()
            self.expect(")", token)
            self.depth -= 1
            return value
        if token.kind == "end":
            before = self.tokens[self.index - 1] if self.index else token
            raise FormulaError(
                f"the formula ends too early, after {before.text!r} at column {before.column}", token.column
            )
        raise self.unexpected()

    def name(self, token: Token) -> sympy.Expr:
        name = token.text
        if name.startswith("_"):
            raise FormulaError(
                f"names may not start with an underscore ({name!r} at column {token.column})", token.column
            )
        if name in _KEYWORDS:
            raise FormulaError(
                f"{name!r} at column {token.column} is a Python keyword, not part of a formula", token.column
            )
        called = self.op() == "("
        if name in self.symbols:
            return self.symbols[name]  # a declared variable or constant wins over a function name
        if called and name in FUNCTIONS:
            return self.call(token)
        if called and len(name) > 1:
            close = difflib.get_close_matches(name, FUNCTIONS, n=1)
            hint = f"; did you mean '{close[0]}(...)'?" if close else "; write * to multiply"
            raise FormulaError(f"unknown function {name!r} at column {token.column}{hint}", token.column)
        if name in FUNCTIONS and self.token.kind in ("name", "number"):
            after = self.token.text
            raise FormulaError(
                f"{name!r} at column {token.column} is a function; did you mean '{name}({after})'?", token.column
            )
        if name in CONSTANTS:
            return CONSTANTS[name]
        return self.symbol(name)

    def symbol(self, name: str) -> sympy.Symbol:
        if name not in self.symbols:
            self.symbols[name] = sympy.Symbol(name, real=True)
        return self.symbols[name]

    def call(self, token: Token) -> sympy.Expr:
        builder, least, most = FUNCTIONS[token.text]
        opened = self.advance()
        self.nest(opened)
        args = [self.expr()]
        while self.op() == ",":
            self.advance()
            args.append(self.expr())
        self.expect(")", opened)
        self.depth -= 1
        if len(args) < least or (most is not None and len(args) > most):
            wanted = str(least) if least == most else f"{least} to {most}" if most else f"at least {least}"
            raise FormulaError(
                f"{token.text}() takes {wanted} argument{'s' if wanted != '1' else ''}, "
                f"got {len(args)} (at column {token.column})",
                token.column,
            )
        return builder(*args)


def _number(token: Token, limits: Limits) -> sympy.Expr:
    """An exact number from a decimal literal (``0.1`` is 1/10), within the digit limit."""
    mantissa, _, exponent = token.text.lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    scale = int(exponent or 0) - len(fraction)
    magnitude = len(digits) + scale
    if len(digits) > limits.max_digits or (digits and abs(magnitude) > limits.max_digits):
        raise LimitError(f"the number at column {token.column} has more than {limits.max_digits} digits", token.column)
    if not fraction and not exponent:
        return sympy.Integer(int(whole))
    return sympy.Rational(int(digits or "0") * 10 ** max(scale, 0), 10 ** max(-scale, 0))


def _reciprocal(denominator: sympy.Expr, token: Token) -> sympy.Expr:
    if denominator.is_zero:
        raise FormulaError(f"division by zero at column {token.column}", token.column)
    return sympy.Pow(denominator, -1)


def _power(base: sympy.Expr, exponent: sympy.Expr, token: Token, limits: Limits) -> sympy.Expr:
    """``base**exponent``, refusing exact numbers whose size would exceed the digit limit."""
    if base.is_zero and exponent.is_negative:
        raise FormulaError(f"division by zero: 0 to a negative power at column {token.column}", token.column)
    if base.is_number and exponent.is_Rational and not base.has(sympy.Float):
        size = _log10_size(base)
        digits = abs(float(exponent)) * size
        if digits > limits.max_digits:
            raise LimitError(
                f"the power at column {token.column} would have about {digits:.3g} digits; "
                f"the limit is {limits.max_digits}",
                token.column,
            )
        if not exponent.is_Integer and abs(exponent.p) * size > limits.max_digits:
            # sympy would compute base**p exactly to look for a q-th root: work in floating point instead
            return base.evalf(30) ** exponent
    result = base**exponent
    if result.is_Pow and result.exp.is_Rational and _log10_size(result.exp) > limits.max_digits:
        raise LimitError(
            f"the exponent at column {token.column} has more than {limits.max_digits} digits", token.column
        )
    return result


def _log10_size(number: sympy.Expr) -> float:
    """Decimal digits of an exact rational's numerator or denominator (whichever is larger), or
    of the magnitude of another number (sqrt(2), pi): sympy may evaluate sqrt(2)**1000 to 2**500."""
    if number.is_Rational:
        return max(math.log10(abs(part)) for part in (number.p, number.q) if part) if number.p else 0.0
    magnitude = abs(complex(number.evalf(15)))
    return abs(math.log10(magnitude)) if magnitude and math.isfinite(magnitude) else 0.0


def _check_product_digits(factors: list[sympy.Expr], token: Token, limits: Limits) -> None:
    """Refuse a product of exact numbers that would exceed the digit limit, before sympy computes it."""
    product = Fraction(1)
    for factor in factors:
        if factor.is_Rational:
            product *= Fraction(int(factor.p), int(factor.q))
            digits = math.log10(max(abs(product.numerator), product.denominator))
            if digits > limits.max_digits:
                raise LimitError(
                    f"the product ending at column {token.column} has more than {limits.max_digits} digits",
                    token.column,
                )


def parse(
    text: str,
    variables: Sequence[str] | None = None,
    constants: Mapping[str, object] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Parsed:
    """Read a formula string into a sympy expression and its ordered variables.

    Parameters
    ----------
    text
        The formula, as a person writes it: ``x^2 - 8x + 4``, ``x² + y²``,
        ``0.001x^4``, ``exp(-x)*sin(2pi y)``.
    variables
        Names of the variables, in the order wanted; by default every free
        name of the formula, sorted by name (``x2`` before ``x10``).
    constants
        Names to replace by values: numbers or numeric formula strings.

    >>> parse("a*x^2", constants={"a": 3}).expr
    3*x**2
    """
    if not isinstance(text, str):
        raise FormulaError(f"the formula must be a string, not {type(text).__name__}")
    declared = {name: sympy.Symbol(check_name(name), real=True) for name in variables or ()}
    if variables is not None and len(declared) != len(variables):
        raise FormulaError("variables= names the same variable twice")
    values = read_constants(constants, limits)
    clash = set(declared) & set(values)
    if clash:
        raise FormulaError(f"{sorted(clash)[0]!r} is given both as a variable and as a constant")
    known = {**declared, **{name: sympy.Symbol(name, real=True) for name in values}}
    with guarded("reading the formula", limits):
        reader = _Reader(tokenize(text, limits), known, limits)
        expr = check_real(reader.formula().xreplace({known[name]: value for name, value in values.items()}))
    return with_variables(expr, variables, declared)


def with_variables(expr: sympy.Expr, variables: Sequence[str] | None, known: Mapping[str, sympy.Symbol]) -> Parsed:
    """``expr`` with its variables: those named, in that order (``known`` gives their symbols),
    else every free symbol, sorted by name."""
    found = sorted(expr.free_symbols, key=lambda s: natural_key(s.name))
    if variables is None:
        return Parsed(expr, tuple(found))
    missing = [s.name for s in found if s.name not in variables]
    if missing:
        raise FormulaError(f"the formula uses {missing[0]!r}, which is neither in variables= nor in constants=")
    return Parsed(expr, tuple(known.get(name) or sympy.Symbol(check_name(name), real=True) for name in variables))


def read_constants(constants: Mapping[str, object] | None, limits: Limits = DEFAULT_LIMITS) -> dict[str, sympy.Expr]:
    """Constant values as exact sympy numbers (numeric strings are read as formulas)."""
    return {check_name(name): _constant_value(name, value, limits) for name, value in (constants or {}).items()}


def _constant_value(name: str, value: object, limits: Limits) -> sympy.Expr:
    if isinstance(value, bool):
        raise FormulaError(f"constant {name!r} must be a number, not a bool")
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, Real):
        if not math.isfinite(value):
            raise FormulaError(f"constant {name!r} must be finite, not {value}")
        return sympy.Float(float(value))
    if isinstance(value, str):
        return parse(value, variables=(), limits=limits).expr
    if isinstance(value, sympy.Expr) and value.is_number:
        return value
    raise FormulaError(f"constant {name!r} must be a number or a numeric formula, not {type(value).__name__}")


def constant_parts(expr: sympy.Basic) -> list[sympy.Expr]:
    """The largest subexpressions without variables that are not plain numbers (``acos(5)``, ``pi/2``)."""
    found: list[sympy.Expr] = []
    numeric: dict[sympy.Basic, bool] = {}

    def visit(e: sympy.Basic) -> bool:  # True when e has no variables
        if e not in numeric:
            parts = [visit(a) for a in e.args]
            numeric[e] = not e.is_Symbol and all(parts)
            if not numeric[e]:
                found.extend(a for a, constant in zip(e.args, parts) if constant and not a.is_Number)
        return numeric[e]

    if visit(expr) and not expr.is_Number:
        found.append(expr)
    return list(dict.fromkeys(found))


def check_real(expr: sympy.Expr, what: str = "the formula") -> sympy.Expr:
    """Return ``expr`` if it is a real formula; refuse undefined or complex-valued ones."""
    if not isinstance(expr, sympy.Expr):
        raise FormulaError(f"{what} does not describe a number")
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise FormulaError(f"{what} is undefined (it contains a division by zero or an infinite value)")
    complex_valued = FormulaError(
        f"{what} is complex-valued (e.g. sqrt or log of a negative number, or acos(5)); symgd works with real numbers"
    )
    if expr.has(sympy.I):
        raise complex_valued
    for part in constant_parts(expr):
        value = complex(part.evalf(15))
        if not (math.isfinite(value.real) and math.isfinite(value.imag)):
            raise FormulaError(f"{what} is undefined: {part} is not a finite number")
        if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
            raise complex_valued
    return expr
