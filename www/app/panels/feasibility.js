// Patching lets a bigger input fit: which widths × resolutions of MobileNetV2 fit an MCU
// layer by layer, only with patches, or not at all (and what is short: SRAM or Flash), as the
// engine planned them. A cell asks to load its network, planned by the planner. The map is planned
// when its panel first opens: until a student asks, no worker spends the CPU on it.
import { state, on, emit } from '../store.js';
import { $, text, hasOption } from '../dom.js';
import { bytes, kib } from '../format.js';

// The map's grid: MobileNetV2's widths and resolutions from the MCUNet papers.
const MAP = { arch: 'mbv2', widths: [0.35, 0.5, 0.75, 1.0], resolutions: [96, 128, 160, 192, 224, 256] };
// Boards with room for MobileNetV2's int8 weights and its 1000-class head.
const MAP_DEFAULT_MCU = 'stm32h743';

/// Asks the engine for the map of the chosen MCU; the old map stays, greyed, meanwhile.
function requestMap() {
  const mcu = $('map-mcu').value;
  $('feasibility').classList.add('stale');
  text('map-explain', `Planning ${MAP.widths.length * MAP.resolutions.length} sizes of MobileNetV2 for ${mcu} in the engine…`);
  emit('plan-map', { ...MAP, settings: { mcu, in_place_depthwise: true } });
}

/// A cell's peak as the map writes it: whole KiB.
const inKib = (n) => Math.round(n / 1024);

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
      // What a grey cell lacks: SRAM even with patches, Flash for the weights, or both.
      const short = [c.patched_peak > map.sram && 'SRAM', tooBig(c) && 'Flash'].filter(Boolean).join(' + ');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = `cell ${kind}`;
      button.dataset.fit = kind;
      button.innerHTML = `<b></b><span></span>`;
      button.querySelector('b').textContent = kind === 'lbl' ? 'fits' : kind === 'patch' ? 'patches' : `no: ${short}`;
      button.querySelector('span').innerHTML = `${inKib(c.layer_by_layer_peak)}<wbr> → ${inKib(c.patched_peak)}`;
      const why = kind !== 'none' ? '' : ` Too big: ${[c.patched_peak > map.sram && `even with patches the peak exceeds the ${kib(map.sram)} of SRAM`,
        tooBig(c) && `the weights exceed the ${kib(map.flash)} of Flash`].filter(Boolean).join(', and ')}.`;
      button.title = `MobileNetV2 ${w} @${r}: peak SRAM ${bytes(c.layer_by_layer_peak)} layer by layer, ${bytes(c.patched_peak)} with patches `
        + `(${map.patch.join(', ')} split ${map.split.join(', ')}) of ${bytes(map.sram)}; weights ${bytes(c.weight_bytes)}`
        + `${map.flash != null ? ` of ${bytes(map.flash)} Flash` : ''}; ${c.macs.toLocaleString('en')} MACs.${why} Click to load it: the planner then chooses its plan for this MCU (the fewest MACs that fit), not necessarily the map's.`;
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
  const first = map.cells[0];
  const flashNote = map.flash != null && smallest > map.flash
    ? ` None fits: even the smallest network's int8 weights (${kib(smallest)}, with ImageNet's 1000-class head) exceed this board's ${kib(map.flash)} of Flash — choose a board with more Flash.`
    : '';
  text('map-explain', `Green: fits layer by layer (${count('lbl')}); orange: fits only with patches (${count('patch')}); grey: does not fit (${count('none')}) — `
    + `SRAM ${kib(map.sram)}, patches ${map.patch.join(', ')} to ${map.split.join(', ')}, camera streamed.${flashNote} Each cell: its peak SRAM in KiB, layer by layer → with patches (the first, "${inKib(first.layer_by_layer_peak)} → ${inKib(first.patched_peak)}": ${inKib(first.layer_by_layer_peak)} KiB without patches, ${inKib(first.patched_peak)} KiB with them); a grey cell names what is too small, SRAM or Flash. Click a cell to load that network: the planner then chooses its own plan for this MCU, the one with the fewest MACs that fits, so its peak may differ from the cell's.`);
}

/// Fills the MCU list from the catalog; the map is planned when its panel first opens.
export function setupFeasibility() {
  const select = $('map-mcu');
  for (const m of state.catalog.mcus) select.append(new Option(`${m.name} (${kib(m.sram)} SRAM, ${kib(m.flash)} Flash)`, m.name));
  select.value = hasOption('map-mcu', MAP_DEFAULT_MCU) ? MAP_DEFAULT_MCU : state.catalog.mcus[0]?.name;
  select.addEventListener('change', requestMap);
  $('map-box').addEventListener('toggle', () => {
    if ($('map-box').open && !state.map) requestMap();
  });
  on('map', drawMap);
}
