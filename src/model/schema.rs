//! A small, verified accessor layer over the TFLite flatbuffer schema.
//!
//! Each table is a newtype over `flatbuffers::Table`, its fields read by vtable slot
//! (slot `n` lives at vtable offset `4 + 2n`, the order of the fields in `schema.fbs`).
//! Every table implements `Verifiable`, so `flatbuffers::root::<Model>` checks all offsets,
//! lengths and nesting of the fields we read before any accessor runs: malformed bytes become
//! an error, never an out-of-bounds read.

use flatbuffers::{Follow, ForwardsUOffset, InvalidFlatbuffer, Table, Vector, Verifiable, Verifier};

type Offsets<'a, T> = Vector<'a, ForwardsUOffset<T>>;

const fn slot(n: u16) -> u16 {
    4 + 2 * n
}

/// Declares a table type, its verifier and its field accessors.
/// Field kinds: `scalar(T, default)`, `vector(T)`, `tables(T)`, `table(T)`, `string`.
macro_rules! table {
    ($name:ident { $($field:ident : $kind:ident $(($($arg:tt)*))? = $slot:expr),* $(,)? }) => {
        #[derive(Clone, Copy)]
        pub struct $name<'a> {
            tab: Table<'a>,
        }

        impl<'a> Follow<'a> for $name<'a> {
            type Inner = $name<'a>;
            unsafe fn follow(buf: &'a [u8], loc: usize) -> Self::Inner {
                // SAFETY: the caller (flatbuffers) guarantees `loc` was verified as a table.
                Self { tab: unsafe { Table::new(buf, loc) } }
            }
        }

        impl Verifiable for $name<'_> {
            fn run_verifier(v: &mut Verifier, pos: usize) -> Result<(), InvalidFlatbuffer> {
                v.visit_table(pos)?
                    $(.visit_field::<table!(@verify $kind $(($($arg)*))?)>(stringify!($field), slot($slot), false)?)*
                    .finish();
                Ok(())
            }
        }

        impl<'a> $name<'a> {
            $(table!(@get $field $kind $(($($arg)*))? = $slot);)*

            /// The raw table, for reading a union member.
            pub fn table(&self) -> Table<'a> {
                self.tab
            }
        }
    };
    (@verify scalar($t:ty, $d:expr)) => { $t };
    (@verify vector($t:ty)) => { ForwardsUOffset<Vector<'_, $t>> };
    (@verify tables($t:ident)) => { ForwardsUOffset<Offsets<'_, $t<'_>>> };
    (@verify table($t:ident)) => { ForwardsUOffset<$t<'_>> };
    (@verify string) => { ForwardsUOffset<&str> };
    (@verify union) => { ForwardsUOffset<AnyTable<'_>> };
    (@get $field:ident scalar($t:ty, $d:expr) = $slot:expr) => {
        pub fn $field(&self) -> $t {
            // SAFETY: verified by `run_verifier`.
            unsafe { self.tab.get::<$t>(slot($slot), Some($d)) }.unwrap_or($d)
        }
    };
    (@get $field:ident vector($t:ty) = $slot:expr) => {
        pub fn $field(&self) -> Option<Vector<'a, $t>> {
            // SAFETY: verified by `run_verifier`.
            unsafe { self.tab.get::<ForwardsUOffset<Vector<'a, $t>>>(slot($slot), None) }
        }
    };
    (@get $field:ident tables($t:ident) = $slot:expr) => {
        pub fn $field(&self) -> Option<Offsets<'a, $t<'a>>> {
            // SAFETY: verified by `run_verifier`.
            unsafe { self.tab.get::<ForwardsUOffset<Offsets<'a, $t<'a>>>>(slot($slot), None) }
        }
    };
    (@get $field:ident table($t:ident) = $slot:expr) => {
        pub fn $field(&self) -> Option<$t<'a>> {
            // SAFETY: verified by `run_verifier`.
            unsafe { self.tab.get::<ForwardsUOffset<$t<'a>>>(slot($slot), None) }
        }
    };
    (@get $field:ident string = $slot:expr) => {
        pub fn $field(&self) -> Option<&'a str> {
            // SAFETY: verified by `run_verifier`.
            unsafe { self.tab.get::<ForwardsUOffset<&'a str>>(slot($slot), None) }
        }
    };
    (@get $field:ident union = $slot:expr) => {
        pub fn $field(&self) -> Option<AnyTable<'a>> {
            // SAFETY: verified by `run_verifier` as a table with in-bounds vtable.
            unsafe { self.tab.get::<ForwardsUOffset<AnyTable<'a>>>(slot($slot), None) }
        }
    };
}

table!(Model {
    version: scalar(u32, 0) = 0,
    operator_codes: tables(OperatorCode) = 1,
    subgraphs: tables(SubGraph) = 2,
    description: string = 3,
    buffers: tables(Buffer) = 4,
});

table!(OperatorCode {
    deprecated_builtin_code: scalar(i8, 0) = 0,
    custom_code: string = 1,
    version: scalar(i32, 1) = 2,
    builtin_code: scalar(i32, 0) = 3,
});

table!(SubGraph {
    tensors: tables(Tensor) = 0,
    inputs: vector(i32) = 1,
    outputs: vector(i32) = 2,
    operators: tables(Operator) = 3,
    name: string = 4,
});

table!(Tensor {
    shape: vector(i32) = 0,
    dtype: scalar(i8, 0) = 1,
    buffer: scalar(u32, 0) = 2,
    name: string = 3,
    quantization: table(QuantizationParameters) = 4,
    is_variable: scalar(bool, false) = 5,
    sparsity: union = 6,
});

table!(QuantizationParameters {
    scale: vector(f32) = 2,
    zero_point: vector(i64) = 3,
    details_type: scalar(u8, 0) = 4,
    quantized_dimension: scalar(i32, 0) = 6,
});

table!(Operator {
    opcode_index: scalar(u32, 0) = 0,
    inputs: vector(i32) = 1,
    outputs: vector(i32) = 2,
    builtin_options_type: scalar(u8, 0) = 3,
    builtin_options: union = 4,
});

table!(Buffer { data: vector(u8) = 0, offset: scalar(u64, 0) = 1, size: scalar(u64, 0) = 2 });

/// A table whose fields are unknown until its union type is known; only its vtable is verified.
#[derive(Clone, Copy)]
pub struct AnyTable<'a> {
    tab: Table<'a>,
}

impl<'a> Follow<'a> for AnyTable<'a> {
    type Inner = AnyTable<'a>;
    unsafe fn follow(buf: &'a [u8], loc: usize) -> Self::Inner {
        // SAFETY: the caller guarantees `loc` was verified as a table.
        Self { tab: unsafe { Table::new(buf, loc) } }
    }
}

impl Verifiable for AnyTable<'_> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result<(), InvalidFlatbuffer> {
        v.visit_table(pos)?.finish();
        Ok(())
    }
}

impl<'a> AnyTable<'a> {
    /// Re-reads this table as a known option table, verifying its fields first.
    pub fn cast<T: Follow<'a, Inner = T> + Verifiable>(&self) -> Result<T, InvalidFlatbuffer> {
        let mut opts = flatbuffers::VerifierOptions::default();
        opts.max_apparent_size = usize::MAX;
        let buf = self.tab.buf();
        let mut v = Verifier::new(&opts, buf);
        T::run_verifier(&mut v, self.tab.loc())?;
        // SAFETY: verified just above at this location.
        Ok(unsafe { T::follow(buf, self.tab.loc()) })
    }
}

table!(Conv2DOptions {
    padding: scalar(i8, 0) = 0,
    stride_w: scalar(i32, 0) = 1,
    stride_h: scalar(i32, 0) = 2,
    fused_activation_function: scalar(i8, 0) = 3,
    dilation_w_factor: scalar(i32, 1) = 4,
    dilation_h_factor: scalar(i32, 1) = 5,
});

table!(DepthwiseConv2DOptions {
    padding: scalar(i8, 0) = 0,
    stride_w: scalar(i32, 0) = 1,
    stride_h: scalar(i32, 0) = 2,
    depth_multiplier: scalar(i32, 0) = 3,
    fused_activation_function: scalar(i8, 0) = 4,
    dilation_w_factor: scalar(i32, 1) = 5,
    dilation_h_factor: scalar(i32, 1) = 6,
});

table!(Pool2DOptions {
    padding: scalar(i8, 0) = 0,
    stride_w: scalar(i32, 0) = 1,
    stride_h: scalar(i32, 0) = 2,
    filter_width: scalar(i32, 0) = 3,
    filter_height: scalar(i32, 0) = 4,
    fused_activation_function: scalar(i8, 0) = 5,
});

table!(FullyConnectedOptions {
    fused_activation_function: scalar(i8, 0) = 0,
    weights_format: scalar(i8, 0) = 1,
    keep_num_dims: scalar(bool, false) = 2,
});

table!(SoftmaxOptions { beta: scalar(f32, 0.0) = 0 });

table!(ConcatenationOptions { axis: scalar(i32, 0) = 0, fused_activation_function: scalar(i8, 0) = 1 });

table!(AddOptions { fused_activation_function: scalar(i8, 0) = 0 });

table!(ReducerOptions { keep_dims: scalar(bool, false) = 0 });

/// Union tags of `BuiltinOptions` we read.
pub mod options_type {
    pub const CONV_2D: u8 = 1;
    pub const DEPTHWISE_CONV_2D: u8 = 2;
    pub const POOL_2D: u8 = 5;
    pub const FULLY_CONNECTED: u8 = 8;
    pub const SOFTMAX: u8 = 9;
    pub const CONCATENATION: u8 = 10;
    pub const ADD: u8 = 11;
    pub const REDUCER: u8 = 27;
}

/// `BuiltinOperator` codes of the ops mcupatch executes.
pub mod builtin {
    pub const ADD: i32 = 0;
    pub const AVERAGE_POOL_2D: i32 = 1;
    pub const CONCATENATION: i32 = 2;
    pub const CONV_2D: i32 = 3;
    pub const DEPTHWISE_CONV_2D: i32 = 4;
    pub const DEQUANTIZE: i32 = 6;
    pub const FULLY_CONNECTED: i32 = 9;
    pub const MAX_POOL_2D: i32 = 17;
    pub const RESHAPE: i32 = 22;
    pub const SOFTMAX: i32 = 25;
    pub const PAD: i32 = 34;
    pub const MEAN: i32 = 40;
    pub const PADV2: i32 = 60;
    pub const QUANTIZE: i32 = 114;
}

/// `TensorType` codes.
pub mod tensor_type {
    pub const FLOAT32: i8 = 0;
    pub const INT32: i8 = 2;
    pub const UINT8: i8 = 3;
    pub const INT64: i8 = 4;
    pub const INT16: i8 = 7;
    pub const INT8: i8 = 9;
}

/// Verifies `bytes` as a TFLite model and returns its root table.
pub fn root(bytes: &[u8]) -> Result<Model<'_>, InvalidFlatbuffer> {
    let mut opts = flatbuffers::VerifierOptions::default();
    // Weights are shared between tensors only by index, never by offset, so the apparent
    // size equals the real size; the default cap would reject models above 1 GiB only.
    opts.max_apparent_size = usize::MAX;
    flatbuffers::root_with_opts::<Model>(&opts, bytes)
}

/// The name TFLite gives a builtin operator code (for messages).
pub fn builtin_name(code: i32) -> String {
    let known = [
        (0, "ADD"),
        (1, "AVERAGE_POOL_2D"),
        (2, "CONCATENATION"),
        (3, "CONV_2D"),
        (4, "DEPTHWISE_CONV_2D"),
        (5, "DEPTH_TO_SPACE"),
        (6, "DEQUANTIZE"),
        (9, "FULLY_CONNECTED"),
        (14, "LOGISTIC"),
        (17, "MAX_POOL_2D"),
        (18, "MUL"),
        (19, "RELU"),
        (21, "RELU6"),
        (22, "RESHAPE"),
        (23, "RESIZE_BILINEAR"),
        (25, "SOFTMAX"),
        (28, "TANH"),
        (32, "CUSTOM"),
        (34, "PAD"),
        (39, "TRANSPOSE"),
        (40, "MEAN"),
        (41, "SUB"),
        (43, "SQUEEZE"),
        (45, "STRIDED_SLICE"),
        (60, "PADV2"),
        (67, "TRANSPOSE_CONV"),
        (74, "SUM"),
        (97, "RESIZE_NEAREST_NEIGHBOR"),
        (98, "LEAKY_RELU"),
        (114, "QUANTIZE"),
        (117, "HARD_SWISH"),
    ];
    known.iter().find(|(c, _)| *c == code).map(|(_, n)| n.to_string()).unwrap_or_else(|| format!("BUILTIN_{code}"))
}
