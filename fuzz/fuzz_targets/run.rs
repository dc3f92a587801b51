//! (c) Load, plan and run a small input layer by layer and with the chosen patch plan; the
//! two must agree byte for byte.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mcupatch_fuzz::exercise(data, true));
