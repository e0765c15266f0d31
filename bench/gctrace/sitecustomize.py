"""Loaded into the MiniMost server only when the bench runs with ``--trace-gc``.

It appends one line per garbage collection (``<end wall time> <generation> <ms>
<collected> <cpu ms>``) to the file named by ``BENCH_GC_LOG``; ``bench.gcpause.read_log``
reads it back. Nothing happens when ``BENCH_GC_LOG`` is unset.
"""

import gc
import os
import time

_path = os.environ.get("BENCH_GC_LOG")
if _path:
    _out = open(_path, "a", buffering=1)  # noqa: SIM115 - lives as long as the process
    _start = [0.0, 0.0]

    def _on_gc(phase, info):
        if phase == "start":
            _start[0] = time.perf_counter()
            _start[1] = time.thread_time()
        else:
            ms = (time.perf_counter() - _start[0]) * 1000.0
            cpu = (time.thread_time() - _start[1]) * 1000.0
            _out.write(
                f"{time.time():.4f} {info['generation']} {ms:.2f} {info['collected']} {cpu:.2f}\n"
            )

    gc.callbacks.append(_on_gc)
