// The plan's settings as the controls show them: reading them, setting them (a shared link,
// the tour, a sweep bar) and filling the lists the catalog and the model offer.
import { state } from './store.js';
import { $, hasOption } from './dom.js';
import { shortName } from './format.js';

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
    pixel_range: state.model?.suggested.pixel_range ?? null,
  };
  for (const [id, field] of SWITCHES) settings[field] = $(id).checked;
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
}

export function fillCatalog() {
  const models = $('model-select');
  models.append(new Option('Visual Wake Words (person detector)', 'vww'));
  for (const arch of state.catalog.architectures) {
    models.append(new Option(`${arch} ${ZOO.width} @${ZOO.resolution} (synthetic weights: memory only)`, arch));
  }
  const mcus = $('mcu-select');
  for (const m of state.catalog.mcus) {
    mcus.append(new Option(`${m.name} · ${m.sram / 1024} KiB SRAM · ${m.flash / 1024} KiB Flash`, m.name));
  }
  mcus.append(new Option('custom SRAM…', 'custom'));
  mcus.value = 'custom';
  $('sram-custom').value = CUSTOM_SRAM;
}

export function fillSplits() {
  const select = $('split-select');
  select.innerHTML = '';
  select.append(new Option("planner's choice", ''));
  for (const s of state.model.splits) {
    select.append(new Option(`after op ${s.op}: ${s.shape.slice(1).join('×')} (${shortName(s.name)})`, `t${s.tensor}`));
  }
}

/// Grid choices: square grids up to the chosen split's limits (or the finest any split allows).
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
  select.value = hasOption('patch-select', previous) ? previous : '';
}
