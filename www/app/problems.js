// The engine's refusals as one sentence a user can act on: what is wrong (the engine's own
// words, which name the op, tensor or byte) and what to do about it. The fixes are keyed on
// the library's error kinds (src/error.rs), whose messages start the same way every time.

/// The fix for a model the engine refused, by what its reason says.
const MODEL_FIXES = [
  [/cut short/, 'copy or download the whole file and drop it again'],
  [/TFL3 file identifier|not a valid TFLite model/, 'drop a TensorFlow Lite model (.tflite) or a photo'],
  [/unsupported dtype|only int8 is supported|is float32/, 'the engine runs int8 models: convert it with full-integer int8 quantization (TFLiteConverter with a representative dataset)'],
  [/above the limit/, 'this model is larger than the engine accepts: try a smaller one'],
  [/^op \d+ \(/, 'this op is not one the engine runs (docs/ops.md lists those it does); the CLI names the same op'],
];

/// `name` could not be loaded because of `reason`: one sentence with the fix.
export function modelProblem(name, reason) {
  const fix = MODEL_FIXES.find(([pattern]) => pattern.test(reason))?.[1];
  const what = reason.replace(/\.$/, '').replace(/^not a valid TFLite model: /, 'not a valid TFLite model — ');
  return `Cannot use ${name ?? 'this model'}: ${what}${fix ? `; ${fix}` : ''}.`;
}

/// Why settings could not be planned, in words: the engine names the setting and its range.
export const settingProblem = (reason) => reason.replace(/^bad settings?: /, '').replace(/\.$/, '');

/// The settings could not be planned because of `reason`.
export const planProblem = (reason) => `Cannot plan these settings: ${settingProblem(reason)}; change them above.`;
