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

/// The commands for a plan report: `plan`, the one that prints it; `run`, the one that runs a
/// photo with the user's pixel range (which `plan` takes no flag for), when there is one and
/// the plan fits its SRAM (`run` refuses a plan larger than its arena); else null.
export function cliCommands(report) {
  const { settings } = report;
  const flags = cliFlags(settings);
  const quote = (word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`);
  const line = (words) => words.map(quote).join(' ');
  const path = modelPath();
  if (path === null) {
    const { arch, width, resolution } = state.model.source;
    return { plan: line(['mcupatch', 'analyze', '--arch', arch, '--width', String(width), '--resolution', String(resolution), ...flags]), run: null };
  }
  const plan = line(['mcupatch', flags.includes('--patch') ? 'plan' : 'inspect', path, ...flags]);
  const run = settings.pixel_range && report.board.fits_sram
    ? line(['mcupatch', 'run', path, 'photo.png', ...flags, '--pixel-range', settings.pixel_range.join(',')]) : null;
  return { plan, run };
}
