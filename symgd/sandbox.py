"""Read, derive and compile a stranger's formula in a worker process under hard limits.

The in-process limits (`symgd.Limits`) bound what symgd itself does; a worker
process adds limits the operating system enforces, whatever happens inside
sympy: CPU time, memory (address space) and wall-clock time. Use it where
formulas come from people you do not know, e.g. a web service:

>>> obj = safe_objective("x^2 - 8x + 4", timeout=20)
>>> obj.gradient
(2*x - 8,)

The worker parses the formula, derives the gradient and Hessian and compiles
all three (proving that it can be done within the limits); the expressions
come back to this process, which compiles them again (compiled functions
cannot cross processes). Memory and CPU limits need a POSIX system; elsewhere
only the wall-clock limit applies.
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
from collections.abc import Mapping, Sequence

from . import errors
from .errors import LimitError, SymgdError
from .limits import DEFAULT_LIMITS, Limits
from .objective import Objective


def _limit_resources(memory_mb: int, cpu_seconds: int) -> None:
    """Cap the worker's CPU time, and its memory at ``memory_mb`` MiB beyond what it starts with."""
    try:
        import resource
    except ImportError:  # not POSIX: only the wall clock applies
        return
    try:  # a forked worker starts with its parent's address space (Linux: /proc)
        with open("/proc/self/statm") as statm:
            start = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        start = 0
    memory = start + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def _work(connection, formula, variables, constants, limits, memory_mb, cpu_seconds) -> None:
    gc.freeze()  # leave the parent's objects alone: collecting them would copy every page
    _limit_resources(memory_mb, cpu_seconds)
    try:
        obj = Objective(formula, variables, constants, limits=limits)
        obj.compiled_value, obj.compiled_grad, obj.compiled_hess  # noqa: B018  (compile all three)
        connection.send(("ok", obj.expr, obj.variables, obj.gradient, obj.hessian))
    except SymgdError as error:
        connection.send(("error", type(error).__name__, str(error)))
    except MemoryError:
        connection.send(("error", "LimitError", f"the formula needs more than {memory_mb} MB"))


def safe_objective(
    formula: str,
    variables: Sequence[str] | None = None,
    constants: Mapping[str, object] | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    timeout: float = 10.0,
    memory_mb: int = 1024,
) -> Objective:
    """An `Objective` whose parsing, differentiation and compilation ran in a limited worker.

    Parameters
    ----------
    formula, variables, constants, limits
        As for `Objective`.
    timeout
        Wall-clock seconds for the whole job (the CPU-time limit is the same).
    memory_mb
        Memory the worker may allocate, in MiB (beyond what it starts with).

    Raises `LimitError` when the worker runs out of time or memory, and the
    worker's own `SymgdError` for a bad formula.
    """
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    context = multiprocessing.get_context(method)
    receiver, sender = context.Pipe(duplex=False)
    cpu_seconds = max(1, int(timeout + 0.999))
    worker = context.Process(
        target=_work, args=(sender, formula, variables, constants, limits, memory_mb, cpu_seconds), daemon=True
    )
    worker.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise LimitError(f"reading, deriving and compiling the formula took longer than {timeout:g} s")
        try:
            answer = receiver.recv()
        except EOFError:
            raise LimitError(
                f"the worker stopped while reading the formula: it exceeded {memory_mb} MB or {cpu_seconds} s of CPU"
            ) from None
    finally:
        receiver.close()
        if worker.is_alive():
            worker.kill()
        worker.join()
    if answer[0] == "error":
        _, kind, message = answer
        raise getattr(errors, kind, SymgdError)(message)
    _, expr, names, gradient, hessian = answer
    obj = Objective(expr, names, limits=limits)
    obj.__dict__.update(gradient=gradient, hessian=hessian)  # already derived by the worker
    return obj
