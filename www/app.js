// The page: camera → engine (wasm, in Web Workers) → verdict, and the plan drawn as patches,
// arenas, a live-bytes curve, per-block bars and the why-charts. Everything it shows comes
// from the engine's reports; it computes nothing of its own. This bootstrap only wires the
// modules in app/: panels draw what the store and the bus report and emit intents, which
// are answered here.
import { state, on } from './app/store.js';
import { showError } from './app/dom.js';
import { planner } from './app/engine-worker.js';
import { applySettings, fillCatalog, settingsFromControls } from './app/settings.js';
import { loadModel, planMap, replan, sourceOf } from './app/model.js';
import { openLink, setupSharedLink } from './app/shared-link.js';
import { setupCamera, startCamera } from './app/camera.js';
import { setupPlayer, startPlayer } from './app/player.js';
import { setupControls } from './app/controls.js';
import { isTourStep, setupTour, showTour } from './app/tour.js';
import { installHooks } from './app/hooks.js';
import { setupClassroom } from './app/classroom.js';
import { setupLesson } from './app/panels/lesson.js';
import { setupOverrides } from './app/panels/overrides.js';
import { setupInput } from './app/panels/input.js';
import { setupVerdict } from './app/panels/verdict.js';
import { setupExactness } from './app/panels/exactness.js';
import { setupBreakIt } from './app/panels/break-it.js';
import { setupNumbers } from './app/panels/numbers.js';
import { setupArena } from './app/panels/arena.js';
import { setupOpStrip } from './app/panels/op-strip.js';
import { setupPyramid } from './app/panels/pyramid.js';
import { setupLive } from './app/panels/live.js';
import { setupBlocks } from './app/panels/blocks.js';
import { setupSweep } from './app/panels/sweep.js';
import { setupHeat } from './app/panels/heat.js';
import { setupFeasibility } from './app/panels/feasibility.js';
import { setupModelAbout } from './app/panels/model-about.js';
import { setupOutputMap } from './app/panels/output-map.js';
import { setupPixelRange } from './app/panels/pixel-range.js';
import { setupTakeAway } from './app/panels/take-away.js';
import { setupHalos } from './app/panels/halos.js';
import { downloadForTflm, downloadPlan, downloadReport } from './app/downloads.js';

installHooks();

// The panels' intents.
on('plan-settings', (settings) => {
  applySettings({ ...settingsFromControls(), ...settings });
  replan();
});
on('load-model', ({ key, settings }) => loadModel(sourceOf(key), settings));
on('plan-map', planMap);
on('download-plan', downloadPlan);
on('download-report', downloadReport);
on('download-tflm', downloadForTflm);

async function main() {
  // The panels listen in the order the page draws them.
  for (const setup of [setupControls, setupClassroom, setupSharedLink, setupPlayer, setupCamera, setupTour, setupModelAbout, setupLesson, setupInput,
    setupOutputMap, setupPixelRange, setupVerdict, setupExactness, setupBreakIt, setupNumbers, setupHalos, setupOverrides, setupTakeAway, setupArena,
    setupLive, setupPyramid, setupOpStrip, setupBlocks, setupSweep, setupHeat]) setup();
  state.catalog = (await planner.call('catalog')).catalog;
  fillCatalog();
  setupFeasibility();
  const tour = await openLink();
  if (isTourStep(tour)) showTour(tour);
  startPlayer();
  await startCamera();
}

main().catch((e) => showError(`The page could not start: ${e.message ?? e}`));
