#!/usr/bin/env python3
"""The oracle: runs models in TFLite Micro's Python interpreter and dumps tensors.

Usage: tflm_dump.py JOBS.json
JOBS.json is a list of {"model": path, "input": raw input file, "out": folder,
"tensors": [indices]}. For each job the raw bytes are fed to input 0, the model is invoked
once with every tensor preserved, and tensor i is written to OUT/t<i>.bin.
A job with "litert": true runs TensorFlow Lite's reference kernels (ai-edge-litert) instead,
for ops TFLite Micro does not have (TILE). A job with "arena": true instead writes OUT/arena.json with TFLM's recorded arena use;
with "int8_input": true too, a leading QUANTIZE is removed first so the model takes the
int8 tensor directly (what mcupatch plans by default).
"""
import contextlib
import json
import os
import re
import sys
import tempfile

import numpy as np
from tflite_micro import runtime
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema
import flatbuffers

# TFLM's default arena (10× the model) is too small for tiny generated models.
ARENA_BYTES = 16 << 20


def run(job):
    os.makedirs(job["out"], exist_ok=True)
    if job.get("arena"):
        return record_arena(job)
    if job.get("litert"):
        return run_litert(job)
    interp = runtime.Interpreter.from_file(
        job["model"],
        arena_size=ARENA_BYTES,
        intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors,
    )
    details = interp.get_input_details(0)
    raw = open(job["input"], "rb").read()
    data = np.frombuffer(raw, dtype=details["dtype"]).reshape(details["shape"])
    interp.set_input(data, 0)
    interp.invoke()
    for t in job["tensors"]:
        tensor = interp.GetTensor(t, 0)
        with open(os.path.join(job["out"], f"t{t}.bin"), "wb") as f:
            f.write(np.ascontiguousarray(tensor["tensor_data"]).tobytes())


def run_litert(job):
    """The same dump from TensorFlow Lite's reference kernels, every tensor preserved."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interp = Interpreter(
        model_content=with_tile_version_2(open(job["model"], "rb").read()),
        experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
        experimental_preserve_all_tensors=True,
    )
    interp.allocate_tensors()
    details = interp.get_input_details()[0]
    raw = open(job["input"], "rb").read()
    interp.set_tensor(details["index"], np.frombuffer(raw, dtype=details["dtype"]).reshape(details["shape"]))
    interp.invoke()
    for t in job["tensors"]:
        with open(os.path.join(job["out"], f"t{t}.bin"), "wb") as f:
            f.write(np.ascontiguousarray(interp.get_tensor(t)).tobytes())


def with_tile_version_2(model_bytes):
    """The reference resolver registers TILE up to version 2, but the converter writes an int8
    TILE as version 3; the reference kernel copies int8 at either version (the version only
    gates the registration), so the oracle's copy of the model says version 2."""
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(model_bytes, 0))
    for code in model.operatorCodes:
        if max(code.builtinCode, code.deprecatedBuiltinCode) == schema.BuiltinOperator.TILE:
            code.version = min(code.version, 2)
    return packed(model, len(model_bytes))


def packed(model, size_hint):
    """The bytes of an edited model."""
    builder = flatbuffers.Builder(size_hint + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def without_input_quantize(model_bytes):
    """The model with its first op, a QUANTIZE of the graph input, removed."""
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(model_bytes, 0))
    graph = model.subgraphs[0]
    first = graph.operators[0]
    code = model.operatorCodes[first.opcodeIndex]
    if max(code.builtinCode, code.deprecatedBuiltinCode) != schema.BuiltinOperator.QUANTIZE:
        raise ValueError("the model does not start with QUANTIZE")
    graph.inputs = [first.outputs[0]]
    graph.operators = graph.operators[1:]
    # Drop the float tensor too: TFLM plans memory even for a tensor nobody reads.
    gone = first.inputs[0]
    del graph.tensors[gone]
    renumber = lambda ts: [t - 1 if t > gone else t for t in ts]
    for op in graph.operators:
        op.inputs, op.outputs = renumber(op.inputs), renumber(op.outputs)
    graph.inputs, graph.outputs = renumber(graph.inputs), renumber(graph.outputs)
    return packed(model, len(model_bytes))


def record_arena(job):
    """TFLM prints its RecordingMicroAllocator report to stderr (fd 2): capture it."""
    model_bytes = open(job["model"], "rb").read()
    if job.get("int8_input"):
        model_bytes = without_input_quantize(model_bytes)
    interp = runtime.Interpreter.from_bytes(model_bytes, arena_size=ARENA_BYTES)
    with tempfile.TemporaryFile(mode="w+") as capture:
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            interp.print_allocations()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        report = capture.read()
    numbers = {
        key: int(m.group(1))
        for key, pattern in [
            ("total", r"Arena allocation total (\d+)"),
            ("head", r"Arena allocation head (\d+)"),
            ("tail", r"Arena allocation tail (\d+)"),
        ]
        if (m := re.search(pattern, report))
    }
    with open(os.path.join(job["out"], "arena.json"), "w") as f:
        json.dump(numbers, f)


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    for job in jobs:
        try:
            run(job)
        except Exception as e:  # report which job failed, keep going
            with open(os.path.join(job["out"], "error.txt"), "w") as f:
                f.write(f"{type(e).__name__}: {e}\n")


if __name__ == "__main__":
    main()
