// Numbers and names as the page writes them.

export const bytes = (n) => `${n.toLocaleString('en')} B`;

export const kib = (n) => (n < 10240 ? bytes(n) : `${(n / 1024).toFixed(n % 1024 ? 1 : 0)} KiB`);

/// TFLite names are paths of fused ops: the last meaningful part.
export const shortName = (name) => name.split(';')[0].split('/').slice(-2).join('/');

export const patchText = (patch) => (patch ? `, stage ${patch.stage + 1} patch ${patch.row + 1},${patch.col + 1}` : '');

/// A recompute overhead (a fraction) as a signed percentage.
export const percent = (overhead) => `${overhead >= 0 ? '+' : '−'}${Math.abs(overhead * 100).toFixed(1)} %`;
