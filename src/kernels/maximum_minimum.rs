//! MAXIMUM and MINIMUM, int8 (TFLM `MaximumMinimumBroadcastSlow`): compared as stored,
//! without requantization (converters give both inputs and the output one quantization).

pub fn maximum(a: i8, b: i8) -> i8 {
    a.max(b)
}

pub fn minimum(a: i8, b: i8) -> i8 {
    a.min(b)
}
