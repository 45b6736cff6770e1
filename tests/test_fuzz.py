"""Fuzzing: whatever the text, symgd either works or raises `SymgdError`, quickly and quietly.

Hypothesis profiles, chosen with the environment variable SYMGD_FUZZ_PROFILE:
``ci`` (the default: few examples, the same ones on every run) and
``thorough`` (many, random; ``python bench/fuzz.py`` runs it). Every example
has a deadline of 2 s.
"""

from __future__ import annotations

import contextlib
import keyword
import os
import warnings

import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

import symgd
from symgd.parse import CONSTANTS, FUNCTIONS
from symgd.result import STATUSES

with warnings.catch_warnings(), contextlib.suppress(ImportError):
    # Hypothesis' pytest plugin imports this module to print a patch once an example fails;
    # its dependencies raise DeprecationWarnings, which filterwarnings=error would turn into
    # an INTERNALERROR hiding the failure. Imported here, quietly, it is imported once.
    warnings.simplefilter("ignore", DeprecationWarning)
    import hypothesis.extra._patching  # noqa: F401

settings.register_profile("ci", deadline=2000, max_examples=150, derandomize=True, database=None)
settings.register_profile("thorough", deadline=2000, max_examples=5000)

# examples per test in each profile
EXAMPLES = {
    "ci": {"text": 150, "trees": 60, "names": 60},
    "thorough": {"text": 20_000, "trees": 3_000, "names": 3_000},
}
PROFILE = os.environ.get("SYMGD_FUZZ_PROFILE", "ci")
if PROFILE not in EXAMPLES:
    raise ValueError(f"SYMGD_FUZZ_PROFILE must be one of {', '.join(EXAMPLES)}, not {PROFILE!r}")


def fuzz_settings(kind: str) -> settings:
    return settings(settings.get_profile(PROFILE), max_examples=EXAMPLES[PROFILE][kind])


def check_one_line(error: symgd.SymgdError) -> None:
    message = str(error)
    assert message.strip(), f"{type(error).__name__} with an empty message"
    assert "\n" not in message and "\r" not in message, f"a message of more than one line: {message!r}"


def check_no_warnings(caught: list[warnings.WarningMessage], formula: str) -> None:
    """No warning leaks from numpy or Python; symgd's own advice (SymgdWarning) is meant for the user."""
    caught = [w for w in caught if not issubclass(w.category, symgd.SymgdWarning)]
    shown = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    assert not shown, f"{formula!r} emitted {len(caught)} warnings: {shown}"


# -- (a) any text

FORMULA_CHARACTERS = "0123456789.eExyzπ+-*/^()²³⁻, \t−×÷·_asinlogexpqrtbcm'\"[]{}:;=!|%&@#$\\`~<>?"
FRAGMENTS = (
    "x",
    "y",
    "2",
    "0",
    "1e400",
    "9^9^9",
    "**",
    "^",
    "(",
    ")",
    ",",
    "-",
    "sin(",
    "log(",
    "max(",
    "sqrt(",
    "pi",
    "e",
    "I",
    "oo",
    "nan",
    "zoo",
    "lambda",
    "__import__",
    "__class__",
    ".",
    "'os'",
    "[0]",
    "=",
    ";",
    "Symbol(",
    "Sum(",
    "Derivative(",
    "exec(",
    "²",
    "⁻¹",
    "1/0",
    "0^-1",
    "10**400",
    " ",
)

formula_soup = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.characters()), max_size=25).map("".join)
any_text = st.one_of(
    st.text(alphabet=st.one_of(st.sampled_from(FORMULA_CHARACTERS), st.characters()), max_size=80),
    formula_soup,
)


@fuzz_settings("text")
@given(text=any_text)
def test_any_text_is_read_or_refused(text):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            symgd.Objective(text)
        except symgd.SymgdError as error:
            check_one_line(error)
    check_no_warnings(caught, text)


# -- (b) formulas that look legitimate, built as trees and rendered to strings

NAMES = ("x", "y")
numbers = st.one_of(
    st.integers(0, 1000).map(str),
    st.floats(0, 1e4, allow_nan=False, allow_infinity=False).map(lambda v: f"{v:g}"),
    st.sampled_from(["0.5", ".25", "1e3", "2.5e-3", "pi", "e", "π"]),
)
leaves = st.one_of(numbers, st.sampled_from(NAMES))


def _binary(parts: tuple[str, str, str, bool]) -> str:
    left, op, right, grouped = parts
    if op == " " and not (right[0].isalpha() or right[0] == "("):
        op = "*"  # implicit multiplication needs a name or a bracket on the right: 2x, x(y+1), x y
    text = f"{left}{op}{right}"
    return f"({text})" if grouped else text


def _call(name: str, children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    _, least, most = FUNCTIONS[name]
    arguments = st.lists(children, min_size=least, max_size=most or least + 2)
    return arguments.map(lambda args: f"{name}({', '.join(args)})")


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    operators = st.sampled_from(["+", "-", "*", "/", "**", "^", " ", "×", "−"])
    return st.one_of(
        st.tuples(children, operators, children, st.booleans()).map(_binary),
        st.tuples(st.sampled_from("-+"), children).map("".join),
        children.map(lambda s: f"({s})"),
        st.tuples(children, st.sampled_from(["²", "³", "⁻¹", "¹⁰"])).map("".join),
        st.sampled_from(sorted(FUNCTIONS)).flatmap(lambda name: _call(name, children)),
    )


formula_trees = st.recursive(leaves, _extend, max_leaves=12)


@fuzz_settings("trees")
@given(formula=formula_trees)
@example(formula="acosh(3.72009e-293)")  # found by the thorough profile: complex constants,
@example(formula="(arccos(1474.74¹⁰))")
@example(formula="(y⁻¹+sec(cosh(2.5e-3)))")  # a real constant that warned while being compiled,
@example(formula="(4858.56^-6.8146e-223)")  # an exact power too slow to compute
def test_generated_formulas_run_or_are_refused(formula):
    result = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            obj = symgd.Objective(formula)
            _ = obj.gradient
            _ = obj.compiled_value, obj.compiled_grad
            result = symgd.minimize(obj, max_iter=20)
        except symgd.SymgdError as error:
            check_one_line(error)
    check_no_warnings(caught, formula)
    if result is not None:
        assert isinstance(result, symgd.Result)
        assert result.status in STATUSES, f"{formula!r}: unknown status {result.status!r}"
        assert 0 <= result.nit <= 20
        assert result.message.strip() and "\n" not in result.message, f"{formula!r}: message {result.message!r}"


# -- (c) a variable may have any name, even one that sympy or Python uses for something else


def _lookalike_names() -> list[str]:
    import builtins

    candidates = {*FUNCTIONS, *dir(sympy), *dir(builtins), *keyword.kwlist, "lambda", "beta", "gamma", "I"}
    return sorted(name for name in candidates if name.isascii() and name.isidentifier() and name[0].isalpha())


def _may_be_a_variable(name: str) -> bool:
    # The constants are constants; whether a Python keyword may name a variable is the
    # library's choice, except for `lambda` (issue 3: "a variable called sin, beta or lambda").
    return name not in CONSTANTS and (name == "lambda" or not keyword.iskeyword(name))


variable_names = st.one_of(
    st.sampled_from(_lookalike_names()),
    st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,7}", fullmatch=True),
).filter(_may_be_a_variable)


def check_plain_variable(name: str) -> None:
    formula = f"{name}*{name} + 3*{name}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obj = symgd.Objective(formula)
        assert obj.variables == (name,), f"{formula!r}: variables {obj.variables}"
        assert obj.value(2.0) == 10.0, f"{formula!r}: f(2) = {obj.value(2.0)!r}, expected 10"
        assert obj.grad(2.0).tolist() == [7.0], f"{formula!r}: f'(2) = {obj.grad(2.0).tolist()}, expected [7.0]"
    check_no_warnings(caught, formula)


@fuzz_settings("names")
@given(name=variable_names)
def test_any_name_is_a_plain_variable(name):
    check_plain_variable(name)


@pytest.mark.parametrize("name", ["sin", "beta", "lambda", "gamma", "Symbol", "exec", "I", "N", "S", "oo", "nan"])
def test_named_lookalikes_are_plain_variables(name):
    check_plain_variable(name)
