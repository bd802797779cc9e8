// Entry point: tabs, the shared view state (kept in the URL hash), the
// global error box, and the three tab controllers.

import { readState, writeState, TABS } from './state.js';
import { Landscapes } from './landscapes.js';
import { NewSurface } from './newsurface.js';
import { Activations } from './activations.js';
import { Sharpness } from './sharpness.js';
import { ApiError } from './api.js';
import { loadModels } from './store.js';
import { levelRange, levelsFor, limits, loadServerSettings, notice } from './limits.js';

const state = readState();
const changed = () => writeState(state);

function showError(e) {
  const box = document.getElementById('error-box');
  const text = box.querySelector('.message');
  text.replaceChildren();
  const strong = document.createElement('strong');
  strong.textContent = e instanceof ApiError ? e.error : String(e);
  text.append(strong);
  if (e instanceof ApiError && e.detail) text.append(` — ${e.detail}`);
  box.hidden = false;
}
document.querySelector('#error-box button').addEventListener('click', () => { document.getElementById('error-box').hidden = true; });

const landscapes = new Landscapes(state, changed, showError);
const activations = new Activations(state, changed, showError);
const sharpness = new Sharpness(state, showError);
const loaded = new Set();

function showTab(tab) {
  state.tab = tab;
  for (const t of TABS) {
    document.getElementById(`tab-${t}`).setAttribute('aria-selected', String(t === tab));
    document.getElementById(`section-${t}`).hidden = t !== tab;
  }
  // Drawing needs visible canvases (their CSS size), so each tab draws when first shown.
  if (tab === 'landscapes') landscapes.renderAll();
  if (tab === 'activations') loaded.has(tab) ? activations.drawActivations() : activations.loadActivations();
  if (tab === 'output') activations.drawOutput();
  if (tab === 'new') newSurface.scheduleRender();
  if (tab === 'sharpness') sharpness.render();
  loaded.add(tab);
  changed();
}

const newSurface = new NewSurface(state, () => landscapes.refresh(), (ids) => {
  state.surfaces = [...ids];
  state.point = null;
  showTab('landscapes');
  landscapes.refresh();
});

for (const t of TABS) document.getElementById(`tab-${t}`).addEventListener('click', () => showTab(t));

// A pasted or edited address restores the whole view.
window.addEventListener('hashchange', () => {
  Object.assign(state, readState());
  activations.sync();
  landscapes.restore();
  showTab(state.tab);
});

activations.sync();
showTab(state.tab);
// Model cards (panels show their numbers) and the server's limits first, then everything else.
Promise.all([loadModels().catch(showError), loadServerSettings()]).finally(() => {
  const text = notice();
  const box = document.getElementById('limits-notice');
  box.textContent = text || '';
  box.hidden = !text;
  // The address says what is drawn: levels in the server's range, no more activations than it draws at once.
  if (levelRange()) state.levels = levelsFor(state.levels);
  const most = limits()?.maxActivations;
  if (most && state.acts.length > most) state.acts = state.acts.slice(0, most);
  changed();
  activations.buildChips();
  activations.sync();
  if (state.tab === 'activations') activations.loadActivations();
  if (state.tab === 'output') activations.drawOutput();
  landscapes.refresh();
  newSurface.init();
  sharpness.init();
});
