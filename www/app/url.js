// The settings outside the page: the hash of a shareable URL and `mcupatch plan`'s flags,
// both spelt with the CLI's flag names.
import { state } from './store.js';
import { SWITCHES } from './settings.js';

export function writeHash(settings) {
  const params = new URLSearchParams();
  params.set('model', state.source?.key ?? 'vww');
  if (settings.mcu) params.set('mcu', settings.mcu);
  if (settings.sram) params.set('sram', settings.sram);
  for (const p of settings.patch) params.append('patch', p);
  for (const s of settings.split) params.append('split', s);
  for (const [, field, flag] of SWITCHES) if (settings[field]) params.set(flag, '');
  if (state.tour >= 0) params.set('tour', state.tour + 1);
  history.replaceState(null, '', `#${params.toString().replace(/=(?=&|$)/g, '')}`);
}

/// The model key, settings and tour step a shared link carries, or null.
export function readHash() {
  if (location.hash.length < 2) return null;
  const params = new URLSearchParams(location.hash.slice(1));
  const settings = {
    mcu: params.get('mcu'),
    sram: params.has('sram') ? Number(params.get('sram')) : null,
    patch: params.getAll('patch'),
    split: params.getAll('split'),
  };
  for (const [, field, flag] of SWITCHES) settings[field] = params.has(flag);
  return { model: params.get('model') ?? 'vww', settings, tour: Number(params.get('tour') ?? 0) - 1 };
}

/// The same settings as flags of `mcupatch plan` (shown to the user, used by the tests).
export function cliFlags(settings) {
  const flags = [];
  if (settings.mcu) flags.push('--mcu', settings.mcu);
  if (settings.sram) flags.push('--sram', String(settings.sram));
  for (const p of settings.patch) flags.push('--patch', p);
  for (const s of settings.split) flags.push('--split', s);
  for (const [, field, flag] of SWITCHES) if (settings[field]) flags.push(`--${flag}`);
  return flags;
}
