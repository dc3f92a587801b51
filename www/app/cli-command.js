// The CLI command that reproduces the page's plan: `mcupatch plan` with the page's grid (or
// `inspect` for layer by layer, which `plan` would search instead), the model's path in the
// repository (or a dropped file's name), and the settings as flags.
import { state } from './store.js';
import { galleryModel } from './gallery.js';
import { cliFlags } from './url.js';

/// The model's path as the CLI takes it: the repository's for a gallery model, a dropped file's
/// name; null for a zoo net, which `analyze` builds instead.
function modelPath() {
  const gallery = galleryModel(state.source.key);
  if (gallery) return gallery.path;
  const m = state.model.source;
  if (m.kind === 'zoo') return null;
  return state.source.name.replace(/ \(your file\)$/, '');
}

/// The command that prints a plan report: `plan` (or `inspect` for layer by layer), or
/// `analyze` for a zoo net.
export function cliCommand(report) {
  const flags = cliFlags(report.settings);
  const quote = (word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`);
  const line = (words) => words.map(quote).join(' ');
  const path = modelPath();
  if (path === null) {
    const { arch, width, resolution } = state.model.source;
    return line(['mcupatch', 'analyze', '--arch', arch, '--width', String(width), '--resolution', String(resolution), ...flags]);
  }
  return line(['mcupatch', flags.includes('--patch') ? 'plan' : 'inspect', path, ...flags]);
}
