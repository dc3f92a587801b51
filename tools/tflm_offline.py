#!/usr/bin/env python3
"""TFLite Micro's side of the `mcupatch export` tests: outputs and arena use of a model run
the way a deployment runs it (no tensors preserved, so an offline memory plan is honoured).

Usage: tflm_offline.py JOBS.json
JOBS.json is a list of jobs, each one of:
  {"model": path, "input": raw input file, "outputs": n, "out": folder}: feeds the raw bytes
      to input 0, invokes once, writes output i < n to OUT/o<i>.bin and TFLM's arena use to OUT/arena.json
      (as tflm_dump.py records it); with "smallest": true also the smallest arena_size that
      allocates, invokes and gives the same outputs, found by bisection, as "smallest" in it;
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


def outputs(job, arena_size):
    """The model's outputs for the job's input in an arena of `arena_size` bytes."""
    interp = runtime.Interpreter.from_file(job["model"], arena_size=arena_size)
    details = interp.get_input_details(0)
    raw = open(job["input"], "rb").read()
    interp.set_input(np.frombuffer(raw, dtype=details["dtype"]).reshape(details["shape"]), 0)
    interp.invoke()
    return [np.ascontiguousarray(interp.get_output(i)).tobytes() for i in range(job["outputs"])]


def works(job, arena_size, expected):
    """Whether the model runs to `expected` in `arena_size` bytes. Each try runs in a forked
    child: with some arenas too small TFLM's Prepare goes on after a failed allocation and
    crashes instead of failing."""
    pid = os.fork()
    if pid == 0:
        try:
            ok = outputs(job, arena_size) == expected
        except Exception:  # TFLM refuses an arena too small when it allocates
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def smallest_arena(job, expected):
    """Bisection over arena_size: the smallest that runs the model to the same outputs."""
    low, high = 0, ARENA_BYTES  # low fails, high works
    while high - low > 16:
        mid = (low + high) // 2
        low, high = (low, mid) if works(job, mid, expected) else (mid, high)
    return high


def run(job):
    if "strip" in job:
        with open(job["strip"], "rb") as f, open(job["out"], "wb") as out:
            out.write(without_input_quantize(f.read()))
        return
    os.makedirs(job["out"], exist_ok=True)
    expected = outputs(job, ARENA_BYTES)
    for i, data in enumerate(expected):
        with open(os.path.join(job["out"], f"o{i}.bin"), "wb") as f:
            f.write(data)
    record_arena(job)
    if job.get("smallest"):
        path = os.path.join(job["out"], "arena.json")
        with open(path) as f:
            arena = json.load(f)
        arena["smallest"] = smallest_arena(job, expected)
        with open(path, "w") as f:
            json.dump(arena, f)


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
