// The plan's settings as the controls show them: reading them, setting them (a shared link,
// the tour, a sweep bar) and filling the lists the catalog and the model offer.
import { state } from './store.js';
import { $, hasOption } from './dom.js';
import { shortName } from './format.js';
import { GALLERY } from './gallery.js';

// Settings switches: control id → Settings field → CLI flag and URL-hash key.
export const SWITCHES = [
  ['streamed', 'streamed_input', 'streamed-input'],
  ['inplace-dw', 'in_place_depthwise', 'in-place-depthwise'],
  ['inplace-pw', 'in_place_pointwise', 'in-place-pointwise'],
  ['inplace-add', 'in_place_add', 'in-place-add'],
  ['multi-stage', 'multi_stage', 'multi-stage'],
  ['float-input', 'float_input', 'float-input'],
];
export const CUSTOM_SRAM = 20 * 1024;
// Zoo nets are built at MobileNetV2's ImageNet size.
export const ZOO = { width: 1.0, resolution: 224 };

/// The first screen's switches: the camera streams each patch's input, depthwise convolutions
/// in place — the two the engine's advice names for the person detector to fit 20 KiB.
export const LESSON_SWITCHES = { streamed_input: true, in_place_depthwise: true };

/// The settings a model opens with: the model's own (a zoo net's are MCUNetV2's plan), and for
/// a camera model the lesson's first screen — the planner's patch plan with the first screen's
/// switches. The MCU is kept.
export function openingSettings(model) {
  const lesson = model.classifies_images && model.splits.length && !model.suggested.patch.length
    ? { patch: ['auto'], ...LESSON_SWITCHES } : {};
  return { ...model.suggested, ...lesson, mcu: undefined, sram: undefined };
}

/// The zoo architectures the page can build: mcunet is built from a list of blocks (the CLI's
/// --blocks), which the page has no control for.
export const zooArchitectures = () => state.catalog.architectures.filter((arch) => arch !== 'mcunet');

export function settingsFromControls() {
  const mcu = $('mcu-select').value;
  const patch = $('patch-select').value;
  const split = $('split-select').value;
  const settings = {
    mcu: mcu === 'custom' ? null : mcu,
    sram: mcu === 'custom' ? Number($('sram-custom').value) : null,
    patch: patch ? [patch] : [],
    split: split ? [split] : [],
    // null: the model's own input range (the plan report's input_range says which rule).
    pixel_range: state.pixelRange ?? state.model?.suggested.pixel_range ?? null,
  };
  for (const [id, field] of SWITCHES) settings[field] = $(id).checked;
  settings.halo = $('halo-select').value;
  return settings;
}

export function applySettings(s) {
  if (s.mcu) $('mcu-select').value = s.mcu;
  else if (s.sram) {
    $('mcu-select').value = 'custom';
    $('sram-custom').value = s.sram;
  }
  $('sram-label').hidden = $('mcu-select').value !== 'custom';
  fillGrids(s.split?.[0] ?? '');
  $('split-select').value = hasOption('split-select', s.split?.[0]) ? s.split[0] : '';
  fillGrids($('split-select').value);
  $('patch-select').value = hasOption('patch-select', s.patch?.[0]) ? s.patch[0] : '';
  for (const [id, field] of SWITCHES) $(id).checked = Boolean(s[field]);
  $('halo-select').value = hasOption('halo-select', s.halo) ? s.halo : 'recompute';
  state.gridReset = '';
  if ('pixel_range' in s) state.pixelRange = s.pixel_range ?? null;
}

export function fillCatalog() {
  const trained = Object.assign(document.createElement('optgroup'), { label: 'Trained models (real weights)' });
  for (const m of GALLERY) trained.append(new Option(m.name, m.key));
  const synthetic = Object.assign(document.createElement('optgroup'), { label: 'For memory analysis (synthetic weights)' });
  for (const arch of zooArchitectures()) synthetic.append(new Option(zooName(arch, ZOO.width, ZOO.resolution), arch));
  $('model-select').append(trained, synthetic);
  const mcus = $('mcu-select');
  for (const m of state.catalog.mcus) {
    mcus.append(new Option(`${m.name} · ${m.sram / 1024} KiB SRAM · ${m.flash / 1024} KiB Flash`, m.name));
  }
  mcus.append(new Option('custom SRAM…', 'custom'));
  mcus.value = 'custom';
  $('sram-custom').value = CUSTOM_SRAM;
}

/// A zoo net's name in the Model list.
export const zooName = (arch, width, resolution) => `${arch} ${width} @${resolution} (synthetic weights: memory only)`;

export function fillSplits() {
  const select = $('split-select');
  select.innerHTML = '';
  select.append(new Option("planner's choice", ''));
  for (const s of state.model.splits) {
    select.append(new Option(`after op ${s.op}: ${s.shape.slice(1).join('×')} (${shortName(s.name)})`, `t${s.tensor}`));
  }
}

/// Grid choices: square grids up to the chosen split's limits (or the finest any split allows).
/// A chosen grid finer than the new limit becomes the finest allowed; returns the words that
/// say so, else ''.
export function fillGrids(split) {
  const select = $('patch-select');
  const previous = select.value;
  const limit = (s) => Math.min(s.max_rows, s.max_cols);
  const chosen = state.model.splits.find((s) => `t${s.tensor}` === split);
  const max = chosen ? limit(chosen) : Math.max(0, ...state.model.splits.map(limit));
  select.innerHTML = '';
  select.append(new Option('layer by layer', ''));
  if (state.model.splits.length) select.append(new Option('auto (planner)', 'auto'));
  for (let n = 1; n <= Math.min(max, state.catalog.max_grid); n++) select.append(new Option(`${n}×${n}`, `${n}x${n}`));
  if (!previous || hasOption('patch-select', previous)) {
    select.value = previous;
    return '';
  }
  select.value = select.options[select.options.length - 1].value;
  return `${previous.replace('x', '×')} is finer than this split's map allows: now ${select.options[select.selectedIndex].text}`;
}
