//! (a) Arbitrary bytes as a model: an error or a graph, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mcupatch::model::load(data);
});
