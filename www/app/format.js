// Numbers and names as the page writes them.

export const bytes = (n) => `${n.toLocaleString('en')} B`;

export const kib = (n) => (n < 10240 ? bytes(n) : `${(n / 1024).toFixed(n % 1024 ? 1 : 0)} KiB`);

/// TFLite names are paths of fused ops: the last meaningful part.
export const shortName = (name) => name.split(';')[0].split('/').slice(-2).join('/');

export const patchText = (patch) => (patch ? `, stage ${patch.stage + 1} patch ${patch.row + 1},${patch.col + 1}` : '');

/// A recompute overhead (a fraction) as a signed percentage.
export const percent = (overhead) => `${overhead >= 0 ? '+' : '−'}${Math.abs(overhead * 100).toFixed(1)} %`;

/// How `after` compares with `before`, the larger over the smaller: "3.0× less", "1.2× more",
/// "the same" (never "0.8× less").
export function ratioWords(before, after) {
  const ratio = Math.max(before, after) / Math.max(1, Math.min(before, after));
  if (ratio.toFixed(1) === '1.0') return before === after ? 'the same' : 'about the same';
  return `${ratio.toFixed(1)}× ${after < before ? 'less' : 'more'}`;
}

/// `84×84×1`: a shape without its batch.
export const dims = (shape) => shape.slice(1).join('×');

/// What a model's first output is, in words, as its model report classifies it.
export function outputWords(model) {
  const shape = model.outputs[0]?.shape.join('×') ?? 'no';
  if (model.output === 'classification') {
    const names = model.metadata ? `named by its ${model.metadata} metadata` : 'unnamed in its file';
    // A thousand ImageNet classes would fill the screen: the first few and the last.
    const shown = model.labels.length <= 12 ? model.labels : [...model.labels.slice(0, 5), '…', model.labels.at(-1)];
    return `${model.classes} class scores (${shown.join(', ')}: ${names})`;
  }
  if (model.output === 'map') return `a ${shape} map (no verdict: drawn as an image)`;
  return `${model.outputs.length} tensor${model.outputs.length === 1 ? '' : 's'}, the first ${shape} (no verdict: listed with their values)`;
}

/// The rule that chose a plan's input range, in words (the CLI's `--pixel-range` for the user's).
export function rangeRule(range, model) {
  return {
    settings: 'your range (Settings.pixel_range, the CLI\'s --pixel-range)',
    metadata: `the model's ${model.metadata ?? ''} metadata`,
    quantization: 'the int8 input\'s representable range (its quantization)',
    default: 'no metadata and no int8 input: pixels as they are',
  }[range.rule] ?? range.rule;
}

/// Pixels 0..255 as the plan maps them: `0..1` or `each image standardized`.
export const rangeWords = (range) => (range.standardize ? 'each image standardized, (x − mean) / std'
  : `${Number(range.lo.toFixed(4))}..${Number(range.hi.toFixed(4))}`);
