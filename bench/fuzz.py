"""Run the fuzz tests with the thorough hypothesis profile (many random examples).

    python bench/fuzz.py                  # tests/test_fuzz.py, SYMGD_FUZZ_PROFILE=thorough
    python bench/fuzz.py -k names -x      # further arguments go to pytest

Failures found are kept in .hypothesis/ and replayed first on the next run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    env = {**os.environ, "SYMGD_FUZZ_PROFILE": "thorough"}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--hypothesis-show-statistics",
        str(ROOT / "tests" / "test_fuzz.py"),
        *argv,
    ]
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
