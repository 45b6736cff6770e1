"""The ``symgd fit`` command: fit a model formula to a CSV file. No mathematics here.

``main`` in `symgd.cli` dispatches here when the first argument is ``fit``;
errors and exit statuses are handled there (0 success, 1 the fit diverged,
2 bad input).

    symgd fit "a*x**2 + b*x" --data fence.csv --target area --loss mae --p0 a=-2,b=30 --lr 0.5 --epochs 2000
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from . import plotting
from .cli import (
    _HYPER_PARAMETERS,
    PROG,
    ExitStatus,
    _count,
    _number,
    _Parser,
    add_time_budget,
    read_constants,
    read_point,
)
from .errors import ArgumentError
from .fitting import FitResult, fit
from .limits import Limits
from .losses import LOSSES
from .optimizers import OPTIMIZERS
from .schedules import parse_schedule

#: Seconds a fit runs before the command shows its progress (on a terminal only).
PROGRESS_AFTER = 1.0


class _SubParser(_Parser):
    def error(self, message: str):
        raise ArgumentError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _SubParser(
        prog=f"{PROG} fit",
        description="Fit the parameters of a model formula to data by gradient descent on a loss.",
        epilog=(
            "example:\n"
            '  symgd fit "a*x**2 + b*x" --data fence.csv --target area --loss mae --p0 a=-2,b=30 \\\n'
            "            --optimizer adam --lr 0.5 --epochs 2000 --batch-size 32"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", help='the model, e.g. "a*x**2 + b*x": data columns are inputs, other names parameters')
    parser.add_argument("--data", required=True, metavar="FILE.csv", help="a CSV file with a header row")
    parser.add_argument("--target", default="y", help="the column to predict (default y)")
    parser.add_argument(
        "--loss",
        default="mse",
        help=f"{', '.join(sorted(LOSSES))}, or a formula in pred and y such as '(pred - y)^4' (default mse)",
    )
    parser.add_argument("--delta", type=float, default=1.0, help="huber: where the loss turns linear (default 1)")
    parser.add_argument("--params", help="the parameters, in order, e.g. a,b (default: every non-column name)")
    parser.add_argument("--p0", help="start values: a=-2,b=30 or -2,30 (default 1 each)")
    parser.add_argument("--const", help="constants to substitute in the model, e.g. k=2")
    parser.add_argument("--epochs", type=_count, default=1000, help="passes over the data (default 1000)")
    parser.add_argument("--batch-size", type=_positive, metavar="K", help="rows per step (default: all; 1 = SGD)")
    parser.add_argument("--no-shuffle", action="store_true", help="keep the rows in file order in every epoch")
    parser.add_argument("--seed", type=int, default=0, help="seed of the per-epoch shuffling (default 0)")
    parser.add_argument("--tol", type=float, default=1e-8, help="stop when |grad| <= TOL (default 1e-8)")
    parser.add_argument("--l1", type=float, help="L1 penalty weight on every parameter")
    parser.add_argument("--l2", type=float, help="L2 penalty weight on every parameter")
    steps = parser.add_argument_group("optimizer")
    steps.add_argument("--optimizer", default="gd", choices=list(OPTIMIZERS), help="the step rule (default gd)")
    steps.add_argument("--lr", type=_number, help="learning rate (default: the optimizer's, 0.1 for gd)")
    for flag, name, text in _HYPER_PARAMETERS:
        steps.add_argument(flag, type=float, dest=name, help=text)
    steps.add_argument(
        "--schedule", help="learning-rate schedule: step:RATE:EVERY, exponential:RATE, inverse_time:RATE, cosine:STEPS"
    )
    steps.add_argument("--clip", type=float, metavar="NORM", help="clip the gradient to this norm")
    steps.add_argument("--line-search", action="store_true", help="backtracking (Armijo) line search (gd, newton)")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output (default table)")
    parser.add_argument(
        "--history", type=_count, default=10, metavar="N", help="epochs of the loss history shown (default 10; 0: all)"
    )
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, help="show progress on long fits")
    add_time_budget(parser, "the model")
    parser.add_argument("--plot", metavar="FILE", help="save the data, the fitted curve and the loss: .png, .svg, .pdf")
    parser.add_argument("--animate", metavar="FILE.gif", help="save the fit, epoch by epoch, as an animated GIF")
    return parser


def _positive(text: str) -> int:
    if not (text.isdigit() and int(text) >= 1):
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, not {text!r}")
    return int(text)


class _Progress:
    """``epoch i/N  loss`` on one rewritten stderr line, once a fit has run for a while."""

    def __init__(self, epochs: int, enabled: bool | None):
        self.epochs = epochs
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.start = self.shown = time.perf_counter()
        self.drawn = False

    def __call__(self, epoch: int, loss: float) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not self.drawn and now - self.start < PROGRESS_AFTER:
            return
        if now - self.shown < 0.2 and epoch != self.epochs:
            return
        self.shown, self.drawn = now, True
        print(f"\r{PROG} fit: epoch {epoch}/{self.epochs}  loss {loss:.6g}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.drawn:
            print(file=sys.stderr)


def run(args: argparse.Namespace) -> ExitStatus:
    constants = read_constants(args.const)
    lr = args.lr
    if args.schedule:
        if lr is None:
            raise ArgumentError("--schedule needs --lr, the starting rate")
        lr = parse_schedule(args.schedule, lr)
    options = {name: getattr(args, name) for _, name, _ in _HYPER_PARAMETERS if getattr(args, name) is not None}
    if args.clip is not None:
        options["clip"] = args.clip
    if args.line_search:
        options["line_search"] = True
    progress = _Progress(args.epochs, args.progress)
    try:
        res = fit(
            args.model,
            args.data,
            target=args.target,
            loss=args.loss,
            params=[p.strip() for p in args.params.split(",")] if args.params else None,
            p0=read_point(args.p0, "--p0"),
            optimizer=args.optimizer,
            lr=lr,
            epochs=args.epochs,
            batch_size=args.batch_size,
            shuffle=not args.no_shuffle,
            seed=args.seed,
            tol=args.tol,
            delta=args.delta,
            l1=args.l1,
            l2=args.l2,
            constants=constants,
            callback=progress,
            limits=Limits(time_budget=args.time_budget or None),
            **options,
        )
    finally:
        progress.close()
    if args.plot:  # before any output: a missing matplotlib is a clean exit 2
        plotting.save(res.plot(args.data), plotting.picture_path(args.plot))
    if args.animate:
        if not args.animate.lower().endswith(".gif"):
            raise ArgumentError(f"--animate writes a .gif file, not {args.animate!r}")
        plotting.animate_fit(res, args.data, args.animate)
    if args.format == "json":
        print(json.dumps(res.to_dict(), allow_nan=False))
    else:
        print(f"fit {args.target} = {res.model}   ({_how(args, res)})\n")
        print(res.report())
        print(f"\n{history_table(res, args.history or None)}")
    return ExitStatus.SUCCESS if res.success else ExitStatus.RUN_FAILED


def _how(args: argparse.Namespace, res: FitResult) -> str:
    rate = res.lr if not callable(res.lr) else f"{args.lr:g} ({args.schedule})"
    batch = "full batch" if res.batch_size >= res.n_rows else f"batch size {res.batch_size}"
    return f"loss {res.loss_name}, {res.optimizer}, lr = {rate}, {batch}, {res.n_rows} rows"


def history_table(res: FitResult, rows: int | None = 10) -> str:
    """The loss per epoch: the first and last ``rows // 2`` epochs (all of them for None)."""
    epochs = list(range(len(res.history)))
    if rows is not None and len(epochs) > rows:
        head = max(1, rows // 2)
        shown: list[int | None] = [*epochs[:head], None, *epochs[-(rows - head) :]] if rows > 1 else [0, None]
    else:
        shown = list(epochs)
    lines = ["epoch          loss"]
    for epoch in shown:
        lines.append("  ..." if epoch is None else f"{epoch:5d}  {res.history[epoch]:12.8g}")
    return "\n".join(lines)
