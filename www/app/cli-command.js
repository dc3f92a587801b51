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

/// The command for `settings`, and a second one when the settings hold what `plan` takes no
/// flag for (a pixel range: only `run` does).
export function cliCommands(settings) {
  const flags = cliFlags(settings);
  const quote = (word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`);
  const path = modelPath();
  if (path === null) {
    const { arch, width, resolution } = state.model.source;
    return [['mcupatch', 'analyze', '--arch', arch, '--width', String(width), '--resolution', String(resolution), ...flags].map(quote).join(' ')];
  }
  const plan = ['mcupatch', flags.includes('--patch') ? 'plan' : 'inspect', path, ...flags].map(quote).join(' ');
  if (!settings.pixel_range) return [plan];
  return [plan, ['mcupatch', 'run', path, 'photo.png', ...flags, '--pixel-range', settings.pixel_range.join(',')].map(quote).join(' ')];
}
