// The catalog's training paths (GET /api/trajectories) above the surface picker: each with its
// model, snapshot count and the variance its PCA plane explains, a link to its loss/accuracy
// picture, and its surface in that plane (shown, or requested through POST /api/surfaces with
// directions pca). "Side by side" opens every path's surface in one row on one colour scale:
// ReLU, Swish and Mish with their training paths.

import { api } from './api.js';

/** The catalog's trajectories, or [] when the server has none (or is older than this page). */
export async function loadTrajectories() {
  try {
    return (await api.get('/api/trajectories')).trajectories || [];
  } catch (e) {
    if (e.status === 404) return [];
    throw e;
  }
}

/** The listed surface in trajectory t's PCA plane: the most complete, shipped first on a tie; or null. */
export function pcaSurfaceOf(t, listings) {
  const mine = listings.filter((l) => l.trajectory === t.id);
  mine.sort((a, b) => (b.progress.computed - a.progress.computed) || (Number(b.shipped) - Number(a.shipped)));
  return mine[0] || null;
}

/** Ids of the PCA surfaces of every trajectory that has one, in the catalog's order. */
export function sideBySide(trajectories, listings) {
  return trajectories.map((t) => pcaSurfaceOf(t, listings)).filter(Boolean).map((l) => l.id);
}

const pct = (v) => `${(v * 100).toFixed(1)} %`;

/**
 * Fills `root` with one line per trajectory; actions: show(ids) selects surfaces, compute(t)
 * requests t's PCA surface. Hidden when the server has no trajectories.
 */
export function buildTrajectoryPicker(root, trajectories, listings, { show, compute }) {
  root.replaceChildren();
  root.hidden = !trajectories.length;
  if (!trajectories.length) return;
  const legend = document.createElement('legend');
  legend.textContent = 'Training paths in their PCA planes (Li et al. 2018, §7)';
  root.append(legend);
  const all = sideBySide(trajectories, listings);
  const both = document.createElement('button');
  both.type = 'button'; both.className = 'link'; both.id = 'trajectories-side-by-side';
  both.textContent = `show side by side (${all.length})`;
  both.disabled = all.length === 0;
  both.title = all.length ? 'every path over its own PCA-plane surface, one colour scale' : 'no trajectory has a PCA-plane surface yet';
  both.addEventListener('click', () => show(all));
  for (const t of trajectories) {
    const line = document.createElement('div');
    line.className = 'trajectory';
    line.dataset.trajectory = t.id;
    const name = document.createElement('span');
    name.textContent = t.model_name;
    const pill = document.createElement('span');
    pill.className = `pill act-${t.activation}`; pill.textContent = t.activation;
    const ratio = t.explained_variance_ratio || [];
    const facts = document.createElement('span');
    facts.className = 'muted';
    facts.textContent = `${t.snapshots} snapshots${t.steps && t.steps[1] != null ? ` to step ${t.steps[1]}` : ''}`
      + (ratio.length === 2 ? ` · PC1 ${pct(ratio[0])}, PC2 ${pct(ratio[1])}` : '')
      + (t.evaluated ? ' · test loss and accuracy per snapshot' : '');
    const picture = document.createElement('a');
    picture.href = `/api/trajectories/${encodeURIComponent(t.id)}.png`;
    picture.target = '_blank'; picture.rel = 'noopener';
    picture.textContent = 'loss along the path';
    const surface = pcaSurfaceOf(t, listings);
    const action = document.createElement('button');
    action.type = 'button'; action.className = 'link';
    if (surface) {
      action.textContent = 'show surface';
      action.addEventListener('click', () => show([surface.id]));
    } else if (t.model) {
      action.textContent = 'compute its PCA surface';
      action.addEventListener('click', () => compute(t));
    } else {
      action.textContent = 'no surface (its final model is not served)';
      action.disabled = true;
    }
    line.append(name, pill, facts, picture, action);
    root.append(line);
  }
  root.append(both);
}

/** POST /api/surfaces for t's PCA plane (the grid covers the path; the server's other defaults). */
export function requestPCASurface(t) {
  return api.post('/api/surfaces', { models: [t.model], directions: 'pca', trajectory: t.id });
}
