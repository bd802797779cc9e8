// Surface JSON cache shared by the tabs: a job's `point` events write into
// the same objects the Landscapes tab draws, so both stay in step.

import { api } from './api.js';

const cache = new Map(); // id -> Surface JSON

/** Surface JSON for id; refetched when the listing says more points exist than the cached copy has. */
export async function loadSurface(id, listing = null, { fresh = false } = {}) {
  const cached = cache.get(id);
  if (cached && !fresh && !(listing && computedCount(cached) < listing.progress.computed)) return cached;
  const surface = await api.get(`/api/surfaces/${encodeURIComponent(id)}`);
  normalise(surface);
  cache.set(id, surface);
  return surface;
}

export function cachedSurface(id) { return cache.get(id); }

const models = new Map(); // model name -> GET /api/models entry (with its card)

/** Loads the model list once; panels read the model cards' numbers from it. */
export async function loadModels() {
  if (models.size) return [...models.values()];
  const body = await api.get('/api/models');
  for (const m of body.models || []) models.set(m.name, m);
  return [...models.values()];
}

export function modelInfo(name) { return models.get(name) || null; }

/** Points computed so far: those with a loss and those that diverged (the listing counts both). */
export function computedCount(surface) {
  let n = 0;
  surface.loss.forEach((row, r) => row.forEach((v, c) => { if (v !== null || (surface.diverged && surface.diverged[r][c])) n++; }));
  return n;
}

/** 1D surfaces may come with y null; missing stderr grids become nulls of the right shape. */
function normalise(s) {
  if (!Array.isArray(s.loss[0])) s.loss = [s.loss];
  if (s.accuracy && !Array.isArray(s.accuracy[0])) s.accuracy = [s.accuracy];
  if (s.loss_stderr && !Array.isArray(s.loss_stderr[0])) s.loss_stderr = [s.loss_stderr];
  if (s.diverged && !Array.isArray(s.diverged[0])) s.diverged = [s.diverged];
  if (!s.accuracy) s.accuracy = s.loss.map((row) => row.map(() => null));
  if (!s.loss_stderr) s.loss_stderr = s.loss.map((row) => row.map(() => null));
}

/** Connected groups of listings linked by `shared_with` (same random directions), in listing order. */
export function groupListings(listings) {
  const byId = new Map(listings.map((l) => [l.id, l]));
  const seen = new Set(), groups = [];
  for (const l of listings) {
    if (seen.has(l.id)) continue;
    const group = [], stack = [l];
    seen.add(l.id);
    while (stack.length) {
      const cur = stack.pop();
      group.push(cur);
      for (const other of cur.shared_with || []) {
        if (byId.has(other) && !seen.has(other)) { seen.add(other); stack.push(byId.get(other)); }
      }
    }
    const order = new Map(listings.map((x, i) => [x.id, i]));
    group.sort((a, b) => order.get(a.id) - order.get(b.id));
    groups.push(group);
  }
  // Shipped groups first, then the newest requests.
  return groups.sort((a, b) => Number(b.some((x) => x.shipped)) - Number(a.some((x) => x.shipped)));
}

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
