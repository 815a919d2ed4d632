"""How much the engine's bookkeeping costs on a large workflow (no real work).

Builds a workflow of N trivial nodes (a source feeding `width` parallel chains),
runs it, then changes the source's setting and runs again; prints the wall time
of each and the time of one scheduling pass. What remains is the engine's own
cost: topological order, readiness and invalidation.

    .venv/bin/python benchmarks/schedule.py [--nodes 300] [--width 10]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imgflow.engine import Engine  # noqa: E402
from imgflow.workflow import Workflow  # noqa: E402
from tests.support.widgets import make_registry  # noqa: E402


def build(n: int, width: int) -> tuple[Workflow, object]:
    wf = Workflow(make_registry())
    src = wf.add_node("test.numbers", settings={"count": 1})
    ends = [src] * width
    for i in range(n - 1):
        node = wf.add_node("test.add")
        wf.add_link(ends[i % width], "Data", node, "Data")
        ends[i % width] = node
    return wf, src


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=300)
    parser.add_argument("--width", type=int, default=10)
    args = parser.parse_args()
    wf, src = build(args.nodes, args.width)
    engine = Engine(wf)
    t0 = time.perf_counter()
    assert engine.run_until_idle(600)
    first = time.perf_counter() - t0
    wf.set_settings(src, {"count": 2})
    t0 = time.perf_counter()
    assert engine.run_until_idle(600)
    again = time.perf_counter() - t0
    t0 = time.perf_counter()
    passes = 20
    for _ in range(passes):
        engine._step()       # a pass with nothing to start: the pure scheduling cost
    one_pass = (time.perf_counter() - t0) / passes
    engine.shutdown()
    print(f"{args.nodes} nodes in {args.width} chains: first run {first:.2f} s, "
          f"re-run after a change at the source {again:.2f} s, "
          f"one idle scheduling pass {one_pass * 1000:.2f} ms")


if __name__ == "__main__":
    main()
