"""Stage 1: formula text -> sympy, by a reader that never executes the text."""

from __future__ import annotations

import pytest
import sympy

from symgd import FormulaError, LimitError, Limits
from symgd.parse import natural_key, parse

x, y, z = sympy.symbols("x y z", real=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x**2 - 8*x + 4", x**2 - 8 * x + 4),
        ("x^2 - 8x + 4", x**2 - 8 * x + 4),
        ("2x", 2 * x),
        ("x²", x**2),
        ("x² + y³ - z⁻¹", x**2 + y**3 - 1 / z),
        ("0.001x^4", sympy.Rational(1, 1000) * x**4),
        ("1e-3x", x / 1000),
        ("2.5e2", sympy.Integer(250)),
        (".5x", x / 2),
        ("3(x+1)", 3 * x + 3),
        ("(x+1)(x-1)", (x + 1) * (x - 1)),
        ("x(y+1)", x * (y + 1)),
        ("x y", x * y),
        ("2 x y", 2 * x * y),
        ("2pi x", 2 * sympy.pi * x),
        ("e^x", sympy.exp(x)),
        ("-x^2", -(x**2)),
        ("2^3^2", sympy.Integer(512)),
        ("x^-1", 1 / x),
        ("x/2y", x / 2 * y),
        ("x − y × z ÷ 2", x - y * z / 2),
        ("exp(-x)*sin(2pi y)", sympy.exp(-x) * sympy.sin(2 * sympy.pi * y)),
        ("abs(x) + max(x, y) + min(x, y, z)", sympy.Abs(x) + sympy.Max(x, y) + sympy.Min(x, y, z)),
        ("sqrt(x) + log(x) + ln(y) + tanh(z)", sympy.sqrt(x) + sympy.log(x) + sympy.log(y) + sympy.tanh(z)),
        ("log(x, 2)", sympy.log(x) / sympy.log(2)),
        ("arctan(x) + atan2(y, x)", sympy.atan(x) + sympy.atan2(y, x)),
        ("sigmoid(x)", 1 / (1 + sympy.exp(-x))),
        ("relu(x)", sympy.Max(0, x)),
        ("π", sympy.pi),
    ],
)
def test_notations(text, expected):
    assert sympy.simplify(parse(text).expr - expected) == 0


def test_variables_detected_and_sorted_naturally():
    assert parse("y + x + z").variables == ("x", "y", "z")
    assert parse("x10 + x2 + x1").variables == ("x1", "x2", "x10")
    assert sorted(["b10", "a", "b9"], key=natural_key) == ["a", "b9", "b10"]


def test_explicit_variables_keep_their_order_and_may_be_unused():
    parsed = parse("x + 2*y", variables=["y", "x", "w"])
    assert parsed.variables == ("y", "x", "w")


def test_explicit_variable_missing_is_an_error():
    with pytest.raises(FormulaError, match="'y', which is neither in variables= nor in constants="):
        parse("x + y", variables=["x"])


def test_constants_are_substituted_exactly():
    parsed = parse("a*x^2 + b", constants={"a": 3, "b": "pi/2"})
    assert parsed.expr == 3 * x**2 + sympy.pi / 2
    assert parsed.variables == ("x",)
    assert parse("a*x", constants={"a": 0.5}).expr == sympy.Float(0.5) * x


def test_declared_names_win_over_functions_and_constants():
    e_symbol = sympy.Symbol("e", real=True)
    assert parse("e*x", variables=["e", "x"]).expr == e_symbol * x
    sin = sympy.Symbol("sin", real=True)
    assert parse("sin(x)", variables=["sin", "x"]).expr == sin * x


def test_function_name_without_brackets_is_a_variable():
    assert parse("sin^2 + 1").variables == ("sin",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x +* 3", r"unexpected '\*' at column 4"),
        ("(x + 1", r"expected '\)' to close the '\(' at column 1"),
        ("x + 1)", r"unexpected '\)' at column 6"),
        ("x 2", "write \\* for multiplication"),
        ("x^2 - 8x +", "ends too early, after '\\+' at column 10"),
        ("sine(x)", r"unknown function 'sine' at column 1; did you mean 'sin\(...\)'"),
        ("cos x", r"did you mean 'cos\(x\)'"),
        ("sin(x, y)", r"sin\(\) takes 1 argument, got 2"),
        ("atan2(x)", r"atan2\(\) takes 2 arguments, got 1"),
        ("x = 1", "not an equation"),
        ("os.system", "attribute access is not allowed"),
        ("x[0]", "subscripts"),
        ("'x'", "strings are not allowed"),
        ("__import__(x)", "underscore"),
        ("lambda: 1", "lambdas"),
        ("x!", "factorials"),
        ("1/0", "division by zero at column 2"),
        ("x/(y-y)", "division by zero"),
        ("0^-1", "division by zero"),
        ("log(0)", "undefined"),
        ("sqrt(-1)*x", "complex"),
        ("x $ y", "unexpected character '\\$' at column 3"),
    ],
)
def test_errors_name_the_problem_and_place(text, message):
    with pytest.raises(FormulaError, match=message):
        parse(text)


def test_error_carries_the_column():
    with pytest.raises(FormulaError) as info:
        parse("x + )")
    assert info.value.column == 5


def test_names_are_validated():
    with pytest.raises(FormulaError, match="cannot be a variable name"):
        parse("x", variables=["x; import os"])
    with pytest.raises(FormulaError, match="cannot be a variable name"):
        parse("x", constants={"__class__": 1})


@pytest.mark.parametrize(
    ("text", "limits", "message"),
    [
        ("x" * 50, Limits(max_length=10), "50 characters long; the limit is 10"),
        ("(" * 30 + "x" + ")" * 30, Limits(max_depth=20), "nests more than 20 levels"),
        ("-" * 30 + "x", Limits(max_depth=20), "nests more than 20 levels"),
        ("+".join(["x"] * 100), Limits(max_nodes=50), "more than 50 tokens"),
        ("9**9**9**9", Limits(), "would have about .* digits"),
        ("1" * 500, Limits(), "more than 400 digits"),
        ("1e500", Limits(), "more than 400 digits"),
    ],
)
def test_limits(text, limits, message):
    with pytest.raises(LimitError, match=message):
        parse(text, limits=limits)


def test_exact_powers_within_the_limit_are_exact():
    assert parse("2^100").expr == sympy.Integer(2) ** 100
    assert parse("(1/2)^10 x").expr == x / 1024


def test_never_evaluates_the_text(capsys):
    with pytest.raises(FormulaError):
        parse("__import__('os').system('echo hi')")
    assert capsys.readouterr().out == ""
