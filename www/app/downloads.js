// What an engineer takes away as files: the plan's report exactly as `mcupatch plan --json`
// prints it (the engine's JSON, from the planner's session), the short text report, and the
// model exported for stock TFLite Micro (as `mcupatch export` writes it).
import { state } from './store.js';
import { showError, text } from './dom.js';
import { bytes } from './format.js';
import { planner } from './engine-worker.js';
import { reportText } from './report-text.js';

function save(name, text, type) {
  const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

/// A file name from the model's: `rock_paper_scissors-plan.json`.
const stem = () => (state.source.file ?? state.source.name ?? state.source.key).replace(/ \(.*\)$/, '').replace(/\.tflite$/, '').replace(/[^\w.-]+/g, '_');

export async function downloadPlan() {
  try {
    // The CLI ends its output with a newline.
    const { json } = await planner.call('planJson');
    save(`${stem()}-plan.json`, `${json}\n`, 'application/json');
  } catch (e) {
    showError(`Cannot download the plan: ${e.message ?? e}; change a setting to plan again, then download.`);
  }
}

/// The model as stock TFLite Micro runs this plan (`mcupatch export` with the same flags), and
/// what its arena must hold, said beside the button.
export async function downloadForTflm() {
  try {
    const { model, report } = await planner.call('exportTflm', { settings: state.report.settings });
    save(`${stem()}-tflm.tflite`, model, 'application/octet-stream');
    const a = report.arena;
    const lbl = report.layer_by_layer;
    const against = report.stages.length ? `; exported layer by layer it would need ${bytes(lbl.total_bytes)}` : '';
    const notes = report.notes.map((n) => `${n[0].toUpperCase()}${n.slice(1)}${/[.!?]$/.test(n) ? '' : '.'}`);
    text('tflm-arena', [`Exported as ${report.plan}: TFLite Micro needs an arena of ${bytes(a.total_bytes)} (head ${bytes(a.head_bytes)}, tail ${bytes(a.tail_bytes)})${against}.`, ...notes].join(' '));
  } catch (e) {
    showError(`Cannot export for TFLite Micro: ${e.message ?? e}.`);
  }
}

export function downloadReport() {
  save(`${stem()}-report.txt`, reportText(), 'text/plain');
}
