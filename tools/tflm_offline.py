#!/usr/bin/env python3
"""TFLite Micro's side of the `mcupatch export` tests: outputs and arena use of a model run
the way a deployment runs it (no tensors preserved, so an offline memory plan is honoured).

Usage: tflm_offline.py JOBS.json
JOBS.json is a list of jobs, each one of:
  {"model": path, "input": raw input file, "outputs": n, "out": folder}: feeds the raw bytes
      to input 0, invokes once, writes output i < n to OUT/o<i>.bin and TFLM's arena use to OUT/arena.json
      (as tflm_dump.py records it);
  {"strip": path, "out": path}: writes the model at STRIP without its leading QUANTIZE, so it
      takes the int8 tensor directly (as tflm_dump.py's "int8_input" does).
A failing job writes error.txt next to its output instead.
"""
import json
import os
import sys

import numpy as np
from tflite_micro import runtime

from tflm_dump import ARENA_BYTES, record_arena, without_input_quantize


def run(job):
    if "strip" in job:
        with open(job["strip"], "rb") as f, open(job["out"], "wb") as out:
            out.write(without_input_quantize(f.read()))
        return
    os.makedirs(job["out"], exist_ok=True)
    interp = runtime.Interpreter.from_file(job["model"], arena_size=ARENA_BYTES)
    details = interp.get_input_details(0)
    raw = open(job["input"], "rb").read()
    interp.set_input(np.frombuffer(raw, dtype=details["dtype"]).reshape(details["shape"]), 0)
    interp.invoke()
    for i in range(job["outputs"]):
        with open(os.path.join(job["out"], f"o{i}.bin"), "wb") as f:
            f.write(np.ascontiguousarray(interp.get_output(i)).tobytes())
    record_arena(job)


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    for job in jobs:
        try:
            run(job)
        except Exception as e:  # report which job failed, keep going
            folder = job["out"] if "model" in job else os.path.dirname(job["out"])
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "error.txt"), "w") as f:
                f.write(f"{type(e).__name__}: {e}\n")


if __name__ == "__main__":
    main()
