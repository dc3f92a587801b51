//! A small, verified accessor layer over the TFLite flatbuffer schema.
//!
//! Each table is a newtype over `flatbuffers::Table`, its fields read by vtable slot
//! (slot `n` lives at vtable offset `4 + 2n`, the order of the fields in `schema.fbs`).
//! Every table implements `Verifiable`, so `flatbuffers::root::<Model>` checks all offsets,
//! lengths and nesting of the fields we read before any accessor runs: malformed bytes become
//! an error, never an out-of-bounds read. Scalars are checked for bounds, not alignment.

use flatbuffers::{Follow, ForwardsUOffset, InvalidFlatbuffer, Table, Vector, Verifiable, Verifier};
use std::marker::PhantomData;
use std::mem::size_of;

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
    (@verify scalar($t:ty, $d:expr)) => { Unaligned<$t> };
    (@verify vector($t:ty)) => { ForwardsUOffset<UnalignedVector<$t>> };
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

/// A scalar checked for bounds only. Some TFLite writers leave 8-byte fields unaligned (TFLM
/// never checks); the accessors copy bytes rather than dereference, so alignment is moot.
pub struct Unaligned<T>(PhantomData<T>);

impl<T> Verifiable for Unaligned<T> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result<(), InvalidFlatbuffer> {
        v.range_in_buffer(pos, size_of::<T>())
    }
}

/// A vector of scalars checked for bounds only (its length prefix must still be aligned).
pub struct UnalignedVector<T>(PhantomData<T>);

impl<T> Verifiable for UnalignedVector<T> {
    fn run_verifier(v: &mut Verifier, pos: usize) -> Result<(), InvalidFlatbuffer> {
        let len = v.get_uoffset(pos)? as usize;
        v.range_in_buffer(pos.saturating_add(4), len.saturating_mul(size_of::<T>()))
    }
}

table!(Model {
    version: scalar(u32, 0) = 0,
    operator_codes: tables(OperatorCode) = 1,
    subgraphs: tables(SubGraph) = 2,
    description: string = 3,
    buffers: tables(Buffer) = 4,
    metadata: tables(Metadata) = 6,
});

table!(Metadata { name: string = 0, buffer: scalar(u32, 0) = 1 });

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
        let opts = verifier_options();
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

table!(MulOptions { fused_activation_function: scalar(i8, 0) = 0 });

table!(SubOptions { fused_activation_function: scalar(i8, 0) = 0 });

table!(LeakyReluOptions { alpha: scalar(f32, 0.0) = 0 });

table!(StridedSliceOptions {
    begin_mask: scalar(i32, 0) = 0,
    end_mask: scalar(i32, 0) = 1,
    ellipsis_mask: scalar(i32, 0) = 2,
    new_axis_mask: scalar(i32, 0) = 3,
    shrink_axis_mask: scalar(i32, 0) = 4,
    offset: scalar(bool, false) = 5,
});

table!(ResizeNearestNeighborOptions {
    align_corners: scalar(bool, false) = 0,
    half_pixel_centers: scalar(bool, false) = 1
});

table!(ResizeBilinearOptions { align_corners: scalar(bool, false) = 2, half_pixel_centers: scalar(bool, false) = 3 });

table!(DepthToSpaceOptions { block_size: scalar(i32, 0) = 0 });

table!(L2NormOptions { fused_activation_function: scalar(i8, 0) = 0 });

table!(TransposeConvOptions {
    padding: scalar(i8, 0) = 0,
    stride_w: scalar(i32, 0) = 1,
    stride_h: scalar(i32, 0) = 2,
    fused_activation_function: scalar(i8, 0) = 3
});

table!(GatherOptions { axis: scalar(i32, 0) = 0, batch_dims: scalar(i32, 0) = 1 });

table!(SplitOptions { num_splits: scalar(i32, 0) = 0 });

table!(UnpackOptions { num: scalar(i32, 0) = 0, axis: scalar(i32, 0) = 1 });

table!(PackOptions { values_count: scalar(i32, 0) = 0, axis: scalar(i32, 0) = 1 });

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
    pub const MUL: u8 = 21;
    pub const SUB: u8 = 28;
    pub const STRIDED_SLICE: u8 = 32;
    pub const PACK: u8 = 59;
    pub const LEAKY_RELU: u8 = 75;
    pub const SPACE_TO_DEPTH: u8 = 19;
    pub const DEPTH_TO_SPACE: u8 = 94;
    pub const RESIZE_NEAREST_NEIGHBOR: u8 = 74;
    pub const GATHER: u8 = 23;
    pub const SPLIT: u8 = 35;
    pub const UNPACK: u8 = 64;
    pub const SPLIT_V: u8 = 79;
    pub const RESIZE_BILINEAR: u8 = 15;
    pub const TRANSPOSE_CONV: u8 = 49;
    pub const L2_NORMALIZATION: u8 = 12;
}

/// `BuiltinOperator` codes of the ops mcupatch executes or folds at load.
pub mod builtin {
    pub const ADD: i32 = 0;
    pub const AVERAGE_POOL_2D: i32 = 1;
    pub const CONCATENATION: i32 = 2;
    pub const CONV_2D: i32 = 3;
    pub const DEPTHWISE_CONV_2D: i32 = 4;
    pub const DEQUANTIZE: i32 = 6;
    pub const FULLY_CONNECTED: i32 = 9;
    pub const L2_NORMALIZATION: i32 = 11;
    pub const DEPTH_TO_SPACE: i32 = 5;
    pub const LOGISTIC: i32 = 14;
    pub const MAX_POOL_2D: i32 = 17;
    pub const MUL: i32 = 18;
    pub const RELU: i32 = 19;
    pub const RELU6: i32 = 21;
    pub const RESHAPE: i32 = 22;
    pub const RESIZE_BILINEAR: i32 = 23;
    pub const SOFTMAX: i32 = 25;
    pub const SPACE_TO_DEPTH: i32 = 26;
    pub const TANH: i32 = 28;
    pub const PAD: i32 = 34;
    pub const BATCH_TO_SPACE_ND: i32 = 37;
    pub const SPACE_TO_BATCH_ND: i32 = 38;
    pub const MEAN: i32 = 40;
    pub const SUB: i32 = 41;
    pub const SQUEEZE: i32 = 43;
    pub const STRIDED_SLICE: i32 = 45;
    pub const PRELU: i32 = 54;
    pub const MAXIMUM: i32 = 55;
    pub const MINIMUM: i32 = 57;
    pub const PADV2: i32 = 60;
    pub const TRANSPOSE_CONV: i32 = 67;
    pub const EXPAND_DIMS: i32 = 70;
    pub const SHAPE: i32 = 77;
    pub const PACK: i32 = 83;
    pub const RESIZE_NEAREST_NEIGHBOR: i32 = 97;
    pub const LEAKY_RELU: i32 = 98;
    pub const QUANTIZE: i32 = 114;
    pub const HARD_SWISH: i32 = 117;
    pub const GATHER: i32 = 36;
    pub const TRANSPOSE: i32 = 39;
    pub const SPLIT: i32 = 49;
    pub const SLICE: i32 = 65;
    pub const TILE: i32 = 69;
    pub const SUM: i32 = 74;
    pub const REDUCE_PROD: i32 = 81;
    pub const REDUCE_MAX: i32 = 82;
    pub const UNPACK: i32 = 88;
    pub const REDUCE_MIN: i32 = 89;
    pub const SPLIT_V: i32 = 102;
    pub const REVERSE_V2: i32 = 105;
    pub const BROADCAST_TO: i32 = 130;
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
    flatbuffers::root_with_opts::<Model>(&verifier_options(), bytes)
}

/// Weights are shared between tensors only by index, never by offset, so the apparent size
/// equals the real size; the default cap would reject models above 1 GiB only.
fn verifier_options() -> flatbuffers::VerifierOptions {
    flatbuffers::VerifierOptions { max_apparent_size: usize::MAX, ..Default::default() }
}

/// `BuiltinOperator` names by code, as in schema.fbs (for messages about any op).
#[rustfmt::skip]
const BUILTIN_NAMES: [&str; 210] = [
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE", "DEQUANTIZE",
    "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D",
    "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU",
    "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH",
    "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
    "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB",
    "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP",
    "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM",
    "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN",
    "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT",
    "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT",
    "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL",
    "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS",
    "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK", "ELU",
    "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE",
    "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM",
    "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D", "CONV_3D",
    "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL",
    "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS",
    "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE",
    "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM", "ATAN2",
    "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT", "STABLEHLO_LOGISTIC", "STABLEHLO_ADD",
    "STABLEHLO_DIVIDE", "STABLEHLO_MULTIPLY", "STABLEHLO_MAXIMUM", "STABLEHLO_RESHAPE", "STABLEHLO_CLAMP",
    "STABLEHLO_CONCATENATE", "STABLEHLO_BROADCAST_IN_DIM", "STABLEHLO_CONVOLUTION", "STABLEHLO_SLICE",
    "STABLEHLO_CUSTOM_CALL", "STABLEHLO_REDUCE", "STABLEHLO_ABS", "STABLEHLO_AND", "STABLEHLO_COSINE",
    "STABLEHLO_EXPONENTIAL", "STABLEHLO_FLOOR", "STABLEHLO_LOG", "STABLEHLO_MINIMUM", "STABLEHLO_NEGATE",
    "STABLEHLO_OR", "STABLEHLO_POWER", "STABLEHLO_REMAINDER", "STABLEHLO_RSQRT", "STABLEHLO_SELECT",
    "STABLEHLO_SUBTRACT", "STABLEHLO_TANH", "STABLEHLO_SCATTER", "STABLEHLO_COMPARE", "STABLEHLO_CONVERT",
    "STABLEHLO_DYNAMIC_SLICE", "STABLEHLO_DYNAMIC_UPDATE_SLICE", "STABLEHLO_PAD", "STABLEHLO_IOTA",
    "STABLEHLO_DOT_GENERAL", "STABLEHLO_REDUCE_WINDOW", "STABLEHLO_SORT", "STABLEHLO_WHILE", "STABLEHLO_GATHER",
    "STABLEHLO_TRANSPOSE", "DILATE", "STABLEHLO_RNG_BIT_GENERATOR", "REDUCE_WINDOW", "STABLEHLO_COMPOSITE",
    "STABLEHLO_SHIFT_LEFT", "STABLEHLO_CBRT", "STABLEHLO_CASE",
];

/// The schema's name of a builtin operator code, or `BUILTIN_<code>` for one it lacks.
pub fn builtin_name(code: i32) -> String {
    usize::try_from(code)
        .ok()
        .and_then(|i| BUILTIN_NAMES.get(i))
        .filter(|n| !n.is_empty())
        .map_or_else(|| format!("BUILTIN_{code}"), |n| n.to_string())
}

/// MLTK's model parameters (`SL_PARAMSv1` metadata): a flatbuffer dictionary of its own
/// schema (`dictionary.fbs` in silabs `mltk`), read through the same verified accessors.
pub mod mltk {
    use super::*;

    table!(Dictionary { schema_version: scalar(u8, 0) = 0, entries: tables(Entry) = 1 });

    table!(Entry { key: string = 0, value_type: scalar(u8, 0) = 1, value: union = 2 });

    // `BoolValue`, `FloatValue` and the other one-scalar tables: the value is field 0.
    table!(BoolValue { value: scalar(bool, false) = 0 });
    table!(FloatValue { value: scalar(f32, 0.0) = 0 });
    table!(DoubleValue { value: scalar(f64, 0.0) = 0 });
    table!(StringValue { data: string = 0 });
    table!(StringList { data: tables(StrOffset) = 0 });

    /// A string in a vector of strings (the macro's `tables` kind wants a type to follow).
    #[derive(Clone, Copy)]
    pub struct StrOffset<'a>(pub &'a str);

    impl<'a> Follow<'a> for StrOffset<'a> {
        type Inner = &'a str;
        unsafe fn follow(buf: &'a [u8], loc: usize) -> Self::Inner {
            // SAFETY: the caller (flatbuffers) guarantees `loc` was verified as a string.
            unsafe { <&str>::follow(buf, loc) }
        }
    }

    impl Verifiable for StrOffset<'_> {
        fn run_verifier(v: &mut Verifier, pos: usize) -> Result<(), InvalidFlatbuffer> {
            <&str>::run_verifier(v, pos)
        }
    }

    /// The `Value` union's tags we read.
    pub mod value_type {
        pub const BOOLEAN: u8 = 1;
        pub const F32: u8 = 10;
        pub const F64: u8 = 11;
        pub const STR: u8 = 12;
        pub const STR_LIST: u8 = 13;
    }

    /// Verifies `bytes` as an MLTK dictionary and returns its root table.
    pub fn root(bytes: &[u8]) -> Result<Dictionary<'_>, InvalidFlatbuffer> {
        flatbuffers::root_with_opts::<Dictionary>(&verifier_options(), bytes)
    }
}

/// TFLite Support's model metadata (`TFLITE_METADATA`, schema `metadata_schema.fbs` of
/// tflite-support, file identifier `M001`): the fields read of an input's normalisation and an
/// output's label file.
pub mod support {
    use super::*;

    table!(ModelMetadata { subgraph_metadata: tables(SubGraphMetadata) = 3 });

    table!(SubGraphMetadata {
        input_tensor_metadata: tables(TensorMetadata) = 2,
        output_tensor_metadata: tables(TensorMetadata) = 3
    });

    table!(TensorMetadata { process_units: tables(ProcessUnit) = 4, associated_files: tables(AssociatedFile) = 6 });

    table!(ProcessUnit { options_type: scalar(u8, 0) = 0, options: union = 1 });

    table!(NormalizationOptions { mean: vector(f32) = 0, std: vector(f32) = 1 });

    table!(AssociatedFile { name: string = 0, file_type: scalar(i8, 0) = 2 });

    /// `ProcessUnitOptions`' tag of `NormalizationOptions`.
    pub const NORMALIZATION_OPTIONS: u8 = 1;
    /// `AssociatedFileType::TENSOR_AXIS_LABELS`: one label a line, for the tensor's last axis.
    pub const TENSOR_AXIS_LABELS: i8 = 2;

    /// Verifies `bytes` as TFLite Support metadata and returns its root table.
    pub fn root(bytes: &[u8]) -> Result<ModelMetadata<'_>, InvalidFlatbuffer> {
        flatbuffers::root_with_opts::<ModelMetadata>(&verifier_options(), bytes)
    }
}
