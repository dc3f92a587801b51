// Recompute or remember: the current plan's settings planned both ways at the MCU chosen —
// every patch recomputing its halo (MCUNetV2), or each column's patches run top to bottom with
// every op keeping in a ring the rows the next patch still reads — in one line of the two real
// plans' peaks and recompute. The Halos list switches between them.
import { state, on } from '../store.js';
import { $ } from '../dom.js';
import { kib, percent } from '../format.js';

/// One way's plan in words: its peak (bold), recompute and grids, or why there is none.
function way(name, plan) {
  if (plan.error) return [`${name}: no plan (${plan.error})`];
  const grids = plan.stages.map((s) => `${s.rows}×${s.cols}`).join(' + ');
  return [`${name}: `, bold(kib(plan.peak)), `, ${percent(plan.overhead)} MACs (${grids}${plan.fits ? '' : ', does not fit'})`];
}

const bold = (words) => Object.assign(document.createElement('b'), { textContent: words });

function showHalos() {
  const r = state.report;
  const line = $('halo-compare');
  if (!r?.schedule.stages.length) return line.replaceChildren();
  const halos = state.explain?.serial === state.reportSerial ? state.explain.halos : null;
  if (!halos) return line.replaceChildren('Weighing recomputed halos against remembered rows at this MCU…');
  const kinds = [...new Set(r.schedule.stages.map((s) => s.halo))];
  const current = kinds.length > 1 ? 'mixes both' : kinds[0] === 'cache' ? 'remembers rows' : 'recomputes its halos';
  line.replaceChildren('At this MCU, ', ...way('recomputing halos', halos.recompute), ' · ', ...way('remembering rows', halos.cache), `. This plan ${current}.`);
}

export function setupHalos() {
  on('report', showHalos);
  on('explain', showHalos);
}
