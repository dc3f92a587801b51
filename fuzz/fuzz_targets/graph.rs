//! Structure-aware: the input is a model description (opcodes, tensor indices, shapes,
//! strides, filters, scales, zero points, option fields), written as a real .tflite by the
//! test suite's writer, then loaded, planned every way and run (patch ≡ layer by layer).
//! Byte mutations rarely get past the flatbuffer verifier; these mutations start past it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mcupatch_fuzz::spec::{build, Model};

fuzz_target!(|m: Model| {
    let bytes = build(&m);
    let mut data = vec![m.switches];
    data.extend(bytes);
    mcupatch_fuzz::exercise(&data, true);
});
