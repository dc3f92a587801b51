#!/usr/bin/env python3
"""A peer for `make bench`: times TFLite Micro's Python interpreter on one model.

Usage: tflm_bench.py MODEL INPUT.bin RUNS
Feeds the raw bytes to input 0 and invokes once to warm up, then RUNS times; prints JSON
{"median_ms": ..., "runs": ..., "output": [...]}: the median wall time of invoke() alone
and output 0's values. TFLM's planner lets activations overwrite the input, so the input
is set again before every invoke (outside the timed part).
"""
import json
import statistics
import sys
import time

import numpy as np
from tflite_micro import runtime


def main():
    model, input_path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    interp = runtime.Interpreter.from_file(model)
    details = interp.get_input_details(0)
    data = np.fromfile(input_path, dtype=details["dtype"]).reshape(details["shape"])
    interp.set_input(data, 0)
    interp.invoke()
    output = interp.get_output(0).flatten().tolist()
    times = []
    for _ in range(runs):
        interp.set_input(data, 0)
        start = time.perf_counter()
        interp.invoke()
        times.append((time.perf_counter() - start) * 1e3)
    print(json.dumps({"median_ms": statistics.median(times), "runs": runs, "output": output}))


if __name__ == "__main__":
    main()
