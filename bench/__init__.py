"""symgd's benchmark suite (issue 8): ``python -m bench`` from the repository root.

One module per workload: `descent` (W1, W2), `starts` (W3), `fit_mse` (W4),
`symbolic` (W5); `harness` runs and checks the contenders, `report` writes
the tables. See docs/benchmarks.md.
"""

import os

# numpy's BLAS (dot products) on one thread unless the environment says otherwise: on a 2-core machine with any
# other load, OpenBLAS's spinning threads made a 10⁵-element dot product 100× slower and the timings meaningless.
# Set before numpy is first imported, which is when OpenBLAS reads it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
