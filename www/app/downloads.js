// What an engineer takes away as files: the plan's report exactly as `mcupatch plan --json`
// prints it (the engine's JSON, from the planner's session) and the short text report.
import { state } from './store.js';
import { showError } from './dom.js';
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

export function downloadReport() {
  save(`${stem()}-report.txt`, reportText(), 'text/plain');
}
