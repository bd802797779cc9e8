// View state in the URL hash (#tab=landscapes&s=id1,id2 (or ids=…)&view=contour&log=1&levels=20&az=..&el=..&pt=a,b
// &vmin=..&vmax=..&vlevel=..&zmax=..&labels=0),
// so a view can be shared by copying the address. Writing uses replaceState,
// so it neither adds history entries nor fires hashchange.

export const TABS = ['landscapes', 'new', 'sharpness', 'activations', 'output'];
export const VIEW_KINDS = ['contour', 'heatmap', '3d'];

// Log scale by default: a landscape's loss spans decades (0.2 at the centre, hundreds at the
// corners), and on a linear scale every level would crowd into the corners. Contour levels:
// null until asked for; the server's range and default apply (limits.js levelsFor).
export const defaults = () => ({
  tab: 'landscapes', surfaces: null, view: 'contour', log: true, levels: null,
  // The reference's plot options (plot_2D.py --vmin --vmax --vlevel, h52vtp.py --zmax): null = from the data.
  vmin: null, vmax: null, vlevel: null, zmax: null, labels: true,
  azimuth: -0.9, elevation: 0.75, point: null,
  acts: ['relu', 'swish', 'mish'], range: '-5:5', seed: 0,
});

export function readState(hash = window.location.hash) {
  const state = defaults();
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  if (TABS.includes(q.get('tab'))) state.tab = q.get('tab');
  const ids = q.get('s') || q.get('ids'); // `ids` is accepted as a longer spelling of `s`
  if (ids) state.surfaces = ids.split(',').filter(Boolean);
  if (VIEW_KINDS.includes(q.get('view'))) state.view = q.get('view');
  if (q.has('log')) state.log = q.get('log') === '1';
  const num = (k) => (q.has(k) && Number.isFinite(Number(q.get(k))) ? Number(q.get(k)) : null);
  if (num('levels') !== null) state.levels = Math.round(num('levels')); // clamped by levelsFor where it is used
  for (const k of ['vmin', 'vmax', 'zmax']) if (num(k) !== null) state[k] = num(k);
  if (num('vlevel') !== null && num('vlevel') > 0) state.vlevel = num('vlevel');
  if (q.has('labels')) state.labels = q.get('labels') !== '0';
  if (num('az') !== null) state.azimuth = num('az');
  if (num('el') !== null) state.elevation = num('el');
  if (num('seed') !== null) state.seed = Math.max(0, Math.round(num('seed')));
  if (q.get('pt')) {
    const [a, b] = q.get('pt').split(',').map(Number);
    if (Number.isFinite(a) && Number.isFinite(b)) state.point = { alpha: a, beta: b };
  }
  if (q.get('acts')) state.acts = q.get('acts').split(',').filter(Boolean);
  if (q.get('range')) state.range = q.get('range');
  return state;
}

export function writeState(state) {
  const q = new URLSearchParams();
  q.set('tab', state.tab);
  if (state.surfaces && state.surfaces.length) q.set('s', state.surfaces.join(','));
  q.set('view', state.view);
  q.set('log', state.log ? '1' : '0');
  if (state.levels !== null) q.set('levels', String(state.levels));
  for (const k of ['vmin', 'vmax', 'vlevel', 'zmax']) if (state[k] !== null) q.set(k, String(state[k]));
  if (!state.labels) q.set('labels', '0');
  if (state.view === '3d') { q.set('az', state.azimuth.toFixed(2)); q.set('el', state.elevation.toFixed(2)); }
  if (state.point) q.set('pt', `${+state.point.alpha.toFixed(4)},${+state.point.beta.toFixed(4)}`);
  q.set('acts', state.acts.join(','));
  q.set('range', state.range);
  q.set('seed', String(state.seed));
  const hash = '#' + q.toString().replace(/%2C/g, ',').replace(/%3A/g, ':');
  if (hash !== window.location.hash) history.replaceState(null, '', hash);
}
