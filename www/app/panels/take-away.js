// Take it away: the CLI command that reproduces this plan, with a Copy button, and the
// downloads (the plan's JSON as the CLI prints it, a short text report), asked for as intents.
import { state, on, emit } from '../store.js';
import { $, text } from '../dom.js';
import { cliCommands } from '../cli-command.js';

function showCommand() {
  const commands = cliCommands(state.report.settings);
  text('cli-command', commands.join('\n'));
  text('cli-explain', state.model.source.kind === 'zoo'
    ? '`analyze` builds the same net with the same synthetic weights and prints its plan for these flags next to layer by layer (without --patch it searches).'
    : commands.length > 1
      ? 'The first command prints this plan; its --json is the downloaded file but for your pixel range, which `plan` takes no flag for: the second command runs a photo with it.'
      : 'Run it in the repository (add --json for the downloaded file); the same flags give the same report.');
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
  on('report', showCommand);
}
