// Patching lets a bigger input fit: which widths × resolutions of MobileNetV2 fit an MCU
// layer by layer, only with patches, or not at all, as the engine planned them. A cell asks
// to load its network.
import { state, on, emit } from '../store.js';
import { $, text, hasOption } from '../dom.js';
import { bytes, kib } from '../format.js';

// The map's grid: MobileNetV2's widths and resolutions from the MCUNet papers.
const MAP = { arch: 'mbv2', widths: [0.35, 0.5, 0.75, 1.0], resolutions: [96, 128, 160, 192, 224, 256] };
// Boards with room for MobileNetV2's int8 weights and its 1000-class head.
const MAP_DEFAULT_MCU = 'stm32h743';

/// Asks the engine for the map of the chosen MCU; the old map stays, greyed, meanwhile.
export function requestMap() {
  const mcu = $('map-mcu').value;
  $('feasibility').classList.add('stale');
  text('map-explain', `Planning ${MAP.widths.length * MAP.resolutions.length} sizes of MobileNetV2 for ${mcu} in the engine…`);
  emit('plan-map', { ...MAP, settings: { mcu, in_place_depthwise: true } });
}

function drawMap({ map, mcu }) {
  if ($('map-mcu').value !== mcu) return;
  state.map = map;
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  head.append(Object.assign(document.createElement('th'), { textContent: 'width \\ px' }));
  for (const r of MAP.resolutions) head.append(Object.assign(document.createElement('th'), { textContent: r }));
  const body = table.createTBody();
  const tooBig = (c) => map.flash != null && c.weight_bytes > map.flash;
  for (const w of MAP.widths) {
    const row = body.insertRow();
    row.append(Object.assign(document.createElement('th'), { textContent: `${w}` }));
    for (const r of MAP.resolutions) {
      const c = map.cells.find((k) => k.width === w && k.resolution === r);
      const td = row.insertCell();
      if (!c) continue;
      const kind = c.fits_layer_by_layer ? 'lbl' : c.fits_patched ? 'patch' : 'none';
      const button = document.createElement('button');
      button.type = 'button';
      button.className = `cell ${kind}`;
      button.dataset.fit = kind;
      button.innerHTML = `<b></b><span></span>`;
      button.querySelector('b').textContent = kind === 'lbl' ? 'fits' : kind === 'patch' ? 'patch' : tooBig(c) ? 'Flash' : 'no';
      button.querySelector('span').innerHTML = `${Math.round(c.layer_by_layer_peak / 1024)}<wbr>→${Math.round(c.patched_peak / 1024)}`;
      button.title = `MobileNetV2 ${w} @${r}: layer by layer ${bytes(c.layer_by_layer_peak)}, patches ${bytes(c.patched_peak)} `
        + `(${map.patch.join(', ')} split ${map.split.join(', ')}) of ${bytes(map.sram)} SRAM; weights ${bytes(c.weight_bytes)}`
        + `${map.flash != null ? ` of ${bytes(map.flash)} Flash` : ''}; ${c.macs.toLocaleString('en')} MACs — click to load it`;
      // Planned on the map's MCU with the planner's choice.
      button.onclick = () => emit('load-model', {
        key: `${MAP.arch}@${w}x${r}`,
        settings: { mcu: $('map-mcu').value, patch: ['auto'], split: [], streamed_input: true, in_place_depthwise: true },
      });
      td.append(button);
    }
  }
  $('feasibility').replaceChildren(table);
  $('feasibility').classList.remove('stale');
  const count = (k) => map.cells.filter((c) => (k === 'lbl' ? c.fits_layer_by_layer : k === 'patch' ? c.fits_patched && !c.fits_layer_by_layer : !c.fits_patched)).length;
  const smallest = Math.min(...map.cells.map((c) => c.weight_bytes));
  const flashNote = map.flash != null && smallest > map.flash
    ? ` None fits: even the smallest network's int8 weights (${kib(smallest)}, with ImageNet's 1000-class head) exceed this board's ${kib(map.flash)} of Flash — choose a board with more Flash.`
    : '';
  text('map-explain', `Green: fits layer by layer (${count('lbl')}); orange: fits only with patches (${count('patch')}); grey: does not fit (${count('none')}) — `
    + `SRAM ${kib(map.sram)}, patches ${map.patch.join(', ')} to ${map.split.join(', ')}, camera streamed.${flashNote} Each cell: peak KiB layer by layer → with patches; click one to load it.`);
}

/// Fills the MCU list from the catalog.
export function setupFeasibility() {
  const select = $('map-mcu');
  for (const m of state.catalog.mcus) select.append(new Option(`${m.name} (${kib(m.sram)} SRAM, ${kib(m.flash)} Flash)`, m.name));
  select.value = hasOption('map-mcu', MAP_DEFAULT_MCU) ? MAP_DEFAULT_MCU : state.catalog.mcus[0]?.name;
  select.addEventListener('change', requestMap);
  on('map', drawMap);
}
