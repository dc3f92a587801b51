#!/usr/bin/env python3
"""A peer for `make bench`: times TFLite (PyPI ai-edge-litert) on one model, one thread,
with its optimized built-in kernels and no delegate, and with its default (XNNPACK).

Usage: litert_bench.py MODEL INPUT.bin RUNS
Prints JSON {"builtin": {"median_ms", "output"}, "xnnpack": {...}, "runs"}: the median
wall time of invoke() alone and output 0's values, per resolver.
"""
import json
import statistics
import sys
import time

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType


def bench(model, data, runs, resolver):
    interp = Interpreter(model_path=model, num_threads=1, experimental_op_resolver_type=resolver)
    interp.allocate_tensors()
    details = interp.get_input_details()[0]
    interp.set_tensor(details["index"], data.astype(details["dtype"]).reshape(details["shape"]))
    interp.invoke()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        interp.invoke()
        times.append((time.perf_counter() - start) * 1e3)
    output = interp.get_tensor(interp.get_output_details()[0]["index"]).flatten().tolist()
    return {"median_ms": statistics.median(times), "output": output}


def main():
    model, input_path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    dtype = Interpreter(model_path=model).get_input_details()[0]["dtype"]
    data = np.fromfile(input_path, dtype=dtype)
    report = {
        "builtin": bench(model, data, runs, OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES),
        "xnnpack": bench(model, data, runs, OpResolverType.AUTO),
        "runs": runs,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
