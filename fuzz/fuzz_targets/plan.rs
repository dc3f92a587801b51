//! (b) Load, prepare and plan every way (layer by layer, the search, two stages), with the
//! switches the first byte selects.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mcupatch_fuzz::exercise(data, false));
