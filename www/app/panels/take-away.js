// Take it away: the CLI command that reproduces this plan, with a Copy button, and the
// downloads (the plan's JSON as the CLI prints it, a short text report), asked for as intents.
import { state, on, emit } from '../store.js';
import { $, text } from '../dom.js';
import { cliCommand } from '../cli-command.js';

/// Why the command is the one shown, and how it relates to the download.
function explanation() {
  if (state.model.source.kind === 'zoo') {
    return '`analyze` builds the same net with the same synthetic weights and prints its plan for these flags next to layer by layer (without --patch it searches).';
  }
  return 'Run it in the repository (add --json for the downloaded file); the same flags give the same report.';
}

function showCommand() {
  text('cli-command', cliCommand(state.report));
  text('cli-explain', explanation());
}

async function copyCommand() {
  try {
    await navigator.clipboard.writeText($('cli-command').textContent);
    text('copy-cli', 'Copied');
  } catch {
    // No clipboard (an insecure context, or permission refused): select it for Ctrl+C.
    getSelection().selectAllChildren($('cli-command'));
    text('copy-cli', 'Selected: press Ctrl+C');
  }
  setTimeout(() => text('copy-cli', 'Copy'), 2000);
}

export function setupTakeAway() {
  $('copy-cli').addEventListener('click', copyCommand);
  $('download-plan').addEventListener('click', () => emit('download-plan'));
  $('download-report').addEventListener('click', () => emit('download-report'));
  $('download-tflm').addEventListener('click', () => emit('download-tflm'));
  on('report', () => text('tflm-arena', ''));
  on('report', showCommand);
}
