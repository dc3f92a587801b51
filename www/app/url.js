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
  if (settings.halo && settings.halo !== 'recompute') params.set('halo', settings.halo);
  if (settings.pixel_range) params.set('pixel-range', settings.pixel_range.join(','));
  if (state.tour >= 0) params.set('tour', state.tour + 1);
  if (state.classroom) params.set('classroom', '');
  // Switches as bare flags, and the pixel range's comma as typed: the link stays readable.
  history.replaceState(null, '', `#${params.toString().replace(/=(?=&|$)/g, '').replace(/%2C/g, ',')}`);
}

// What patches may do with their halos (Settings.halo, the CLI's --halo).
const HALOS = ['recompute', 'cache', 'auto'];

// Keys of the hash that set how the page looks, not the plan.
const PAGE_MODES = ['classroom'];

/// The model key, settings and tour step a shared link carries, or null (no link, or one that
/// sets only a page mode: the page opens as without one); `ignored` lists what
/// it says that the page cannot take (unknown keys, malformed values), each with why. Whether a
/// grid or split exists is the model's to say, once it is loaded.
export function readHash() {
  if (location.hash.length < 2) return null;
  const params = new URLSearchParams(location.hash.slice(1));
  if ([...params.keys()].every((key) => PAGE_MODES.includes(key))) return null;
  const ignored = [];
  const known = new Set(['model', 'mcu', 'sram', 'patch', 'split', 'tour', 'pixel-range', 'halo', ...PAGE_MODES, ...SWITCHES.map(([, , flag]) => flag)]);
  for (const [key, value] of params) if (!known.has(key)) ignored.push(`${key}${value ? `=${value}` : ''} (not a setting)`);
  const settings = { mcu: null, sram: null, patch: params.getAll('patch'), split: params.getAll('split'), pixel_range: null };
  const mcu = params.get('mcu');
  if (mcu && state.catalog.mcus.some((m) => m.name === mcu)) settings.mcu = mcu;
  else if (mcu !== null) ignored.push(`mcu=${mcu} (not an MCU preset)`);
  const sram = params.get('sram');
  if (sram !== null && /^[1-9]\d*$/.test(sram)) settings.sram = Number(sram);
  else if (sram !== null) ignored.push(`sram=${sram} (not a whole number of bytes)`);
  const range = params.get('pixel-range');
  const bounds = range?.split(',').map(Number);
  if (bounds?.length === 2 && bounds.every(Number.isFinite) && bounds[0] !== bounds[1]) settings.pixel_range = bounds;
  else if (range !== null) ignored.push(`pixel-range=${range} (not two different numbers lo,hi)`);
  for (const [, field, flag] of SWITCHES) settings[field] = params.has(flag);
  const halo = params.get('halo');
  if (halo === null || HALOS.includes(halo)) settings.halo = halo ?? 'recompute';
  else ignored.push(`halo=${halo} (not one of ${HALOS.join(', ')})`);
  const tour = params.get('tour');
  return { model: params.get('model') ?? 'vww', settings, tour: Number(tour ?? 0) - 1, ignored };
}

/// Whether the page's link carries the bare flag `flag` (a page mode, not a plan setting).
export const hashFlag = (flag) => new URLSearchParams(location.hash.slice(1)).has(flag);

/// The same settings as flags of `mcupatch plan` (shown to the user, used by the tests).
export function cliFlags(settings) {
  const flags = [];
  if (settings.mcu) flags.push('--mcu', settings.mcu);
  if (settings.sram) flags.push('--sram', String(settings.sram));
  for (const p of settings.patch) flags.push('--patch', p);
  for (const s of settings.split) flags.push('--split', s);
  for (const [, field, flag] of SWITCHES) if (settings[field]) flags.push(`--${flag}`);
  if (settings.halo && settings.halo !== 'recompute') flags.push('--halo', settings.halo);
  if (settings.pixel_range) flags.push('--pixel-range', settings.pixel_range.join(','));
  return flags;
}
