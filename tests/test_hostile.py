"""Hostile and broken formulas (tests/data/hostile_inputs.txt), every one asserted.

Through the Python API each input runs in a forked child process, so that a
hang or a memory bomb fails its own test instead of freezing or killing the
whole run: the child has a 1 GiB address-space allowance, works in an empty
sandbox folder (a formula that managed to execute code could leave files
there), records every warning, and is killed once it runs past KILL_AFTER
seconds. The timings asserted are measured inside the child.

A representative subset also goes through the command line, as a subprocess.
"""

from __future__ import annotations

import gc
import json
import math
import multiprocessing
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import sympy

import symgd
from symgd.result import STATUSES

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "data" / "hostile_inputs.txt"

TIME_LIMIT = 2.0  # seconds for the whole pipeline of one input
KILL_AFTER = 3.0  # a child still running then is killed and reported as a hang
MEMORY_LIMIT = 1 << 30  # bytes of address space a child may add
CLI_TIMEOUT = 10.0

# Categories whose every input must be refused by symgd.Objective(text) itself.
MUST_RAISE = ("code-execution", "number-bombs", "depth-bombs", "syntax-errors", "unknown-names", "constant-faults")
# Legal formulas that may be built, but must stay within the limits while being derived and compiled.
SIZE_BOMBS = "size-bombs"
LOOKALIKES = "lookalike-names"
LEGAL = "legal-corners"
DOMAIN = "domain-faults"
CATEGORIES = (*MUST_RAISE, SIZE_BOMBS, LOOKALIKES, LEGAL, DOMAIN)
TAB_CATEGORIES = (LOOKALIKES, LEGAL, DOMAIN)  # a TAB, then a start point or an expected value

CONSTRUCT = "Objective(text)"


# -- the corpus


@dataclass(frozen=True)
class Entry:
    category: str
    line: int
    source: str  # as written in the corpus: the formula, or "@gen EXPR"
    text: str  # the formula
    extra: str  # after a TAB: the start point (domain-faults) or the value at the default start

    @property
    def raw(self) -> str:
        """The corpus line."""
        return f"{self.source}\t{self.extra}" if self.extra else self.source

    @property
    def id(self) -> str:
        shown = ascii(self.source)[1:-1]
        return f"{self.category}:{self.line}:{shown[:40]}"

    def __str__(self) -> str:
        shown = repr(self.text) if len(self.text) <= 60 else f"{self.text[:50]!r}... ({len(self.text)} chars)"
        where = f"{self.category}, line {self.line}"
        return f"{shown} [{where}{', ' + self.source if self.source.startswith('@gen') else ''}]"


def _generate(expression: str) -> str:
    """Build an input from a corpus ``@gen`` line: our own test data, never user input."""
    text = eval(expression, {"__builtins__": {"range": range, "chr": chr, "str": str}})
    if not isinstance(text, str):
        raise TypeError(f"@gen {expression} made a {type(text).__name__}, not a str")
    return text


def load_corpus(path: Path = CORPUS) -> list[Entry]:
    entries: list[Entry] = []
    category = None
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if line.startswith("# category:"):
            category = line.split(":", 1)[1].strip()
            if category not in CATEGORIES:
                raise ValueError(f"{path.name} line {number}: unknown category {category!r}")
            continue
        if not line.strip() or line.startswith("#"):
            continue
        if category is None:
            raise ValueError(f"{path.name} line {number}: an input before the first '# category:' line")
        source, extra = line, ""
        if category in TAB_CATEGORIES:
            source, _, extra = line.partition("\t")
        text = _generate(source[len("@gen ") :]) if source.startswith("@gen ") else source
        entries.append(Entry(category, number, source, text, extra.strip()))
    return entries


ENTRIES = load_corpus()
NOT_DOMAIN = [e for e in ENTRIES if e.category != DOMAIN]
REFUSED = [e for e in ENTRIES if e.category in MUST_RAISE]
WITH_VALUE = [e for e in ENTRIES if e.category in (LOOKALIKES, LEGAL) and e.extra]
LOOKALIKE = [e for e in ENTRIES if e.category == LOOKALIKES and not e.extra]
DOMAIN_FAULTS = [e for e in ENTRIES if e.category == DOMAIN]


def _ids(entries: list[Entry]) -> list[str]:
    return [e.id for e in entries]


def _by_line(category: str, *lines: str) -> list[Entry]:
    """The entries of ``category`` written as ``lines`` in the corpus."""
    found = {e.raw: e for e in ENTRIES if e.category == category}
    missing = [line for line in lines if line not in found]
    if missing:
        raise LookupError(f"not in the {category} category of {CORPUS.name}: {missing}")
    return [found[line] for line in lines]


# -- running one input in a child process


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:300]}"


def _address_space() -> int | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * resource.getpagesize()


def _in_child(job, args, sandbox: Path, conn) -> None:
    try:
        gc.freeze()  # the inherited heap is not ours to collect: a full GC of it would slow the timed job
        os.chdir(sandbox)
        used = _address_space()
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if used is not None and (hard == resource.RLIM_INFINITY or hard > used + MEMORY_LIMIT):
            resource.setrlimit(resource.RLIMIT_AS, (used + MEMORY_LIMIT, hard))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            report = job(*args)
        leaked = [w for w in caught if not issubclass(w.category, symgd.SymgdWarning)]  # symgd's advice is meant
        report["warnings"] = list(dict.fromkeys(f"{w.category.__name__}: {w.message}"[:200] for w in leaked))
    except BaseException as error:  # a failure of the harness itself, reported rather than lost
        report = {"outcome": "harness", "error": _describe(error), "seconds": 0.0, "warnings": []}
    conn.send(report)
    conn.close()


def run_isolated(job, *args, sandbox: Path) -> dict:
    """``job(*args)`` in a forked child; its report, or one saying how the child failed."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_in_child, args=(job, args, sandbox, sender), daemon=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python >= 3.12 frowns on fork with threads
        child.start()
    sender.close()
    try:
        if receiver.poll(KILL_AFTER):
            report = receiver.recv()
        else:
            report = {"outcome": "hang", "error": f"still running after {KILL_AFTER:g} s, killed"}
    except EOFError:
        child.join(1)
        report = {"outcome": "died", "error": f"the process died (exit code {child.exitcode})"}
    finally:
        child.kill()
        child.join()
        receiver.close()
    report.setdefault("seconds", math.inf)
    report.setdefault("warnings", [])
    report["created"] = sorted(path.name for path in sandbox.iterdir())
    for path in sandbox.iterdir():  # leave the sandbox empty for the next input
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return report


_SPECIAL = (sympy.oo, -sympy.oo, sympy.zoo, sympy.nan, sympy.I)


def pipeline(text: str) -> dict:
    """Objective(text), .gradient, .hessian, then .value and .grad at the default start."""
    stage = CONSTRUCT
    started = time.perf_counter()
    try:
        obj = symgd.Objective(text)
        stage = ".gradient"
        _ = obj.gradient
        stage = ".hessian"
        _ = obj.hessian
        stage = ".value(start)"
        value = obj.value(None)
        stage = ".grad(start)"
        grad = obj.grad(None)
        report = {
            "outcome": "ok",
            "variables": obj.variables,
            "value": float(value),
            "grad": [float(g) for g in grad],
            "special": bool(obj.expr.has(*_SPECIAL)),
        }
    except symgd.SymgdError as error:
        report = {"outcome": "SymgdError", "stage": stage, "error": _describe(error), "message": str(error)}
    except BaseException as error:
        report = {"outcome": "other", "stage": stage, "error": _describe(error)}
    report["seconds"] = time.perf_counter() - started
    return report


def descent(text: str, x0) -> dict:
    """symgd.minimize(text, x0), with defaults otherwise."""
    started = time.perf_counter()
    try:
        result = symgd.minimize(text, x0)
        report = {"outcome": "ok", "type": type(result).__name__, "is_result": isinstance(result, symgd.Result)}
        report.update(status=str(result.status), message=str(result.message), nit=int(result.nit))
    except BaseException as error:
        report = {"outcome": "raised", "error": _describe(error)}
    report["seconds"] = time.perf_counter() - started
    return report


def _summary(report: dict) -> str:
    outcome = report["outcome"]
    took = f"{report['seconds']:.3f} s" if math.isfinite(report["seconds"]) else "no timing"
    if outcome == "ok":
        names = report["variables"]
        shown = ", ".join(names) if len(names) <= 6 else f"{', '.join(names[:3])}, ... {len(names)} in all"
        text = f"accepted: built, derived and evaluated (variables: {shown or 'none'}; {took})"
    elif outcome in ("SymgdError", "other"):
        text = f"{report['error']} at {report['stage']} ({took})"
    else:
        text = f"{outcome}: {report['error']}"
    if report["warnings"]:
        text += f"; warned {report['warnings']}"
    if report["created"]:
        text += f"; CREATED FILES {report['created']}"
    return text


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    # Warm up once in this process, so that every forked child starts with sympy's and
    # lambdify's one-off start-up costs paid, and its timing is the formula's own.
    obj = symgd.Objective("x^2 + y")
    obj.value(None)
    obj.grad(None)
    obj.hess(None)
    symgd.minimize("x^2", 1.0, max_iter=1)
    return tmp_path_factory.mktemp("hostile-sandbox")


_PIPELINE_REPORTS: dict[Entry, dict] = {}


def pipeline_report(entry: Entry, sandbox: Path) -> dict:
    if entry not in _PIPELINE_REPORTS:
        _PIPELINE_REPORTS[entry] = run_isolated(pipeline, entry.text, sandbox=sandbox)
    return _PIPELINE_REPORTS[entry]


def _one_line_problem(message: str) -> str | None:
    if not message.strip():
        return "the error message is empty"
    if "\n" in message or "\r" in message:
        return f"the error message is not one line: {message!r}"
    return None


# -- the Python API


@pytest.mark.parametrize("entry", NOT_DOMAIN, ids=_ids(NOT_DOMAIN))
def test_pipeline_succeeds_or_raises_symgd_error(entry, sandbox):
    report = pipeline_report(entry, sandbox)
    problems = []
    if report["outcome"] not in ("ok", "SymgdError"):
        problems.append(f"expected success or SymgdError, got {_summary(report)}")
    elif report["seconds"] > TIME_LIMIT:
        problems.append(f"took {report['seconds']:.3f} s > {TIME_LIMIT:g} s: {_summary(report)}")
    if report["warnings"]:
        problems.append(f"emitted warnings: {report['warnings']}")
    if report["created"]:
        problems.append(f"files appeared in the working folder: {report['created']}")
    if report["outcome"] == "SymgdError" and (problem := _one_line_problem(report["message"])):
        problems.append(problem)
    assert not problems, f"{entry}:\n  " + "\n  ".join(problems)


def test_hostile_inputs_are_refused_when_read(sandbox):
    failures = []
    for entry in REFUSED:
        report = pipeline_report(entry, sandbox)
        if not (report["outcome"] == "SymgdError" and report["stage"] == CONSTRUCT):
            failures.append(f"{entry}\n      -> {_summary(report)}")
    assert not failures, (
        f"{len(failures)} of {len(REFUSED)} inputs in {', '.join(MUST_RAISE)} were not refused "
        f"with a SymgdError by symgd.Objective(text):\n  " + "\n  ".join(failures)
    )


@pytest.mark.parametrize("entry", WITH_VALUE, ids=_ids(WITH_VALUE))
def test_legal_formula_has_its_value(entry, sandbox):
    report = pipeline_report(entry, sandbox)
    assert report["outcome"] == "ok", f"{entry}: a legal formula, but {_summary(report)}"
    expected = float(entry.extra)
    assert report["value"] == pytest.approx(expected, rel=1e-12), (
        f"{entry}: value {report['value']!r} at the default start, expected {expected!r}"
    )
    assert all(math.isfinite(g) for g in report["grad"]), f"{entry}: gradient {report['grad']} at the start"
    assert not report["warnings"], f"{entry}: emitted warnings {report['warnings']}"


@pytest.mark.parametrize("entry", LOOKALIKE, ids=_ids(LOOKALIKE))
def test_lookalike_names_are_plain_variables_or_refused(entry, sandbox):
    report = pipeline_report(entry, sandbox)
    assert report["outcome"] in ("ok", "SymgdError"), f"{entry}: {_summary(report)}"
    if report["outcome"] == "ok":  # its names are plain variables, not sympy's or Python's objects
        assert not report["special"], f"{entry}: the expression holds oo, zoo, nan or I"
        assert math.isfinite(report["value"]), f"{entry}: value {report['value']!r} at the default start"
        assert all(math.isfinite(g) for g in report["grad"]), f"{entry}: gradient {report['grad']} at the start"


def _start(entry: Entry):
    return [float(v) for v in entry.extra.split(",")] if entry.extra else None


@pytest.mark.parametrize("entry", DOMAIN_FAULTS, ids=_ids(DOMAIN_FAULTS))
def test_domain_fault_is_reported_not_raised(entry, sandbox):
    report = run_isolated(descent, entry.text, _start(entry), sandbox=sandbox)
    where = f"{entry} from {entry.extra or 'the default start'}"
    assert report["outcome"] == "ok", f"{where}: minimize did not return: {report.get('error')}"
    assert report["is_result"], f"{where}: minimize returned a {report['type']}, not a Result"
    assert not report["warnings"], f"{where}: emitted warnings {report['warnings']}"
    assert report["seconds"] <= TIME_LIMIT, f"{where}: took {report['seconds']:.3f} s > {TIME_LIMIT:g} s"
    assert report["status"] in STATUSES, f"{where}: unknown status {report['status']!r}"
    message = report["message"]
    assert (problem := _one_line_problem(message)) is None, f"{where}: {problem}"
    if report["status"] == "converged":  # converging at a kink or a pole needs saying
        assert re.search(r"subgradient|not differentiable", message, re.IGNORECASE), (
            f"{where}: status 'converged' with a message that does not mention the fault: {message!r}"
        )


# -- the command line

CLI_REFUSED = [
    *_by_line(
        "code-execution",
        "__import__('os').system('echo hi')",
        '__import__("os").mkdir("pwned")',
        "().__class__.__bases__[0].__subclasses__()",
        "x; import os",
        "ｅｖａｌ('1')",
        '@gen "x\\u202e+1"',
    ),
    *_by_line(
        "number-bombs",
        "9**9**9**9",
        '@gen "*".join(["10**400"] * 100)',
        '@gen "x" + " ⁹⁹⁹" * 2400',
    ),
    *_by_line(
        "depth-bombs",
        '@gen "(" * 10000 + "x" + ")" * 10000',
        '@gen "x" * 100000',
    ),
    *_by_line("syntax-errors", '@gen ""', '@gen "   \\t\\n  "', "x +* 3", "-"),
    *_by_line("unknown-names", "sine(x)", "cos x"),
    *_by_line("constant-faults", "(-8)^(1/3)"),
]
CLI_DOMAIN = _by_line(DOMAIN, "log(x)\t-1", "1/x\t0", "exp(1000*x)\t1")


@dataclass(frozen=True)
class CliRun:
    returncode: int | None  # None: killed at the timeout
    stdout: str
    stderr: str
    seconds: float


def _run_cli(args: list[str], cwd: Path, env: dict) -> CliRun:
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "symgd", *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=CLI_TIMEOUT,
            cwd=cwd,
            env=env,
        )
    except subprocess.TimeoutExpired as expired:
        out = expired.stdout.decode(errors="replace") if isinstance(expired.stdout, bytes) else expired.stdout or ""
        err = expired.stderr.decode(errors="replace") if isinstance(expired.stderr, bytes) else expired.stderr or ""
        return CliRun(None, out, err, time.perf_counter() - started)
    return CliRun(done.returncode, done.stdout, done.stderr, time.perf_counter() - started)


def _cli_args(entry: Entry) -> list[str]:
    if entry.category == DOMAIN:
        return [entry.text, "--x0", entry.extra, "--format", "json"]
    return [entry.text]


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory) -> tuple[dict[Entry, CliRun], Path]:
    """Every command-line run of this module, started a few at a time: each pays ~1 s of start-up."""
    cwd = tmp_path_factory.mktemp("cli-sandbox")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    entries = CLI_REFUSED + CLI_DOMAIN
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        futures = {entry: pool.submit(_run_cli, _cli_args(entry), cwd, env) for entry in entries}
    return {entry: future.result() for entry, future in futures.items()}, cwd


def _cli_problems(run: CliRun) -> list[str]:
    problems = []
    if run.returncode is None:
        problems.append(f"still running after {CLI_TIMEOUT:g} s, killed")
    if "Traceback" in run.stderr or "Traceback" in run.stdout:
        problems.append("printed a traceback")
    return problems


@pytest.mark.parametrize("entry", CLI_REFUSED, ids=_ids(CLI_REFUSED))
def test_cli_refuses_with_one_line_and_status_2(entry, cli_runs):
    runs, cwd = cli_runs
    run = runs[entry]
    problems = _cli_problems(run)
    if run.returncode not in (None, 2):
        problems.append(f"exit status {run.returncode}, expected 2")
    if run.stdout:
        problems.append(f"wrote to stdout: {run.stdout[:200]!r}")
    lines = run.stderr.splitlines()
    if len(lines) != 1 or not lines[0].strip():
        problems.append(f"stderr has {len(lines)} lines, expected one: {run.stderr[-600:]!r}")
    if "echo hi" in entry.text and "hi" in run.stdout:
        problems.append("the shell command ran: 'hi' on stdout")
    if any(cwd.iterdir()):
        problems.append(f"files appeared in the working folder: {sorted(p.name for p in cwd.iterdir())}")
    assert not problems, f"symgd {entry}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("entry", CLI_DOMAIN, ids=_ids(CLI_DOMAIN))
def test_cli_reports_domain_fault_in_json(entry, cli_runs):
    runs, _ = cli_runs
    run = runs[entry]
    problems = _cli_problems(run)
    if run.returncode != 1:
        problems.append(f"exit status {run.returncode}, expected 1 (the run did not succeed)")
    try:
        status = json.loads(run.stdout)["status"]
    except (ValueError, KeyError, TypeError) as error:
        problems.append(f"stdout is not one complete JSON result ({_describe(error)}): {run.stdout[:200]!r}")
    else:
        if status == "converged":
            problems.append("status 'converged'")
    assert not problems, f"symgd {entry} --x0 {entry.extra} --format json:\n  " + "\n  ".join(problems)


def test_corpus_is_complete():
    counts = {category: sum(e.category == category for e in ENTRIES) for category in CATEGORIES}
    assert all(counts.values()), f"empty categories in {CORPUS.name}: {counts}"
    assert len(ENTRIES) >= 100, f"only {len(ENTRIES)} inputs in {CORPUS.name}"
    lines = [(e.category, e.raw) for e in ENTRIES]
    repeated = sorted({line for line in lines if lines.count(line) > 1})
    assert not repeated, f"inputs listed twice in {CORPUS.name}: {repeated}"
