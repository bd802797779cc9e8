// The Landscapes tab: surface picker (grouped by shared directions), view
// controls, side-by-side panels on one colour scale, hover readout, slices.

import { api } from './api.js';
import { ColourScale, lossValues, formatNumber } from './scale.js';
import { SurfacePanel } from './panel.js';
import { drawSlices } from './slices.js';
import { drawColourbar } from './colourbar.js';
import { groupListings, loadSurface, escapeHtml } from './store.js';
import { levelRange, levelsFor } from './limits.js';
import { downloadMenu } from './download.js';
import { snapshotFigures } from './pathoverlay.js';
import { buildTrajectoryPicker, loadTrajectories, requestPCASurface } from './trajectories.js';

export class Landscapes {
  /** state: the shared view state; changed(): called after this tab edits it; showError(err). */
  constructor(state, changed, showError) {
    this.state = state;
    this.changed = changed;
    this.showError = showError;
    this.listings = [];
    this.loaded = false; // the selection can only be checked against the listing once it is here
    this.panels = new Map();
    this.$ = (id) => document.getElementById(id);
    this.bindControls();
    window.addEventListener('resize', () => { clearTimeout(this.resizeTimer); this.resizeTimer = setTimeout(() => this.renderAll(), 120); });
  }

  bindControls() {
    this.$('view-kind').addEventListener('change', (e) => { this.state.view = e.target.value; this.renderAll(); this.changed(); });
    this.$('log-scale').addEventListener('change', (e) => { this.state.log = e.target.checked; this.renderAll(); this.changed(); });
    this.$('levels').addEventListener('change', (e) => {
      const typed = e.target.value.trim() === '' ? NaN : Number(e.target.value);
      this.state.levels = levelsFor(Number.isFinite(typed) ? typed : null); // the server's range and default
      this.renderAll(); this.changed();
    });
    // The reference's plot options: an empty field is "from the data" (null).
    for (const [id, key] of [['vmin', 'vmin'], ['vmax', 'vmax'], ['vlevel', 'vlevel'], ['zmax', 'zmax']]) {
      this.$(id).addEventListener('change', (e) => {
        const typed = e.target.value.trim() === '' ? NaN : Number(e.target.value);
        this.state[key] = Number.isFinite(typed) && (key !== 'vlevel' || typed > 0) ? typed : null;
        this.renderAll(); this.changed();
      });
    }
    this.$('contour-labels').addEventListener('change', (e) => { this.state.labels = e.target.checked; this.renderAll(); this.changed(); });
    this.$('reset-view').addEventListener('click', () => { this.state.azimuth = -0.9; this.state.elevation = 0.75; this.renderAll(); this.changed(); });
  }

  /** Reloads GET /api/surfaces and rebuilds the picker; keeps the selection when possible. */
  async refresh() {
    try {
      const [body, trajectories] = await Promise.all([api.get('/api/surfaces'), loadTrajectories()]);
      this.listings = body.surfaces || [];
      this.trajectories = trajectories;
    } catch (e) {
      this.showError(e);
      return;
    }
    this.loaded = true;
    this.resolveSelection();
    this.buildPicker();
    await this.showSelection();
  }

  /** The training paths above the picker: show their PCA surfaces (one or all side by side), or request one. */
  buildTrajectories() {
    buildTrajectoryPicker(this.$('trajectory-picker'), this.trajectories || [], this.listings, {
      show: (ids) => {
        this.notice(null);
        this.state.surfaces = ids; this.buildPicker(); this.showSelection(); this.changed();
      },
      compute: async (t) => {
        try {
          const { job } = await requestPCASurface(t);
          this.notice(`Computing the surface in the PCA plane of ${t.model_name}'s path (job ${job.id}, ${job.total} points): `
            + 'the panel shows the points stored so far; reload the page to draw more.');
          await this.refresh();
          const ids = job.surface_ids || [];
          if (ids.length) { this.state.surfaces = ids; this.buildPicker(); this.showSelection(); this.changed(); }
        } catch (e) {
          this.showError(e);
        }
      },
    });
  }

  /** After the address changed by hand: the selection it names, checked against the listing. */
  restore() {
    if (!this.loaded) return; // refresh() resolves it when the listing arrives
    this.notice(null);
    this.resolveSelection();
    this.buildPicker();
    this.showSelection();
  }

  /**
   * Keeps the ids of state.surfaces that the server knows. Unknown ids are named in a notice, not
   * dropped silently; when the address names no known surface (or none at all), the shipped group is shown.
   */
  resolveSelection() {
    const known = new Set(this.listings.map((l) => l.id));
    const requested = this.state.surfaces;
    const unknown = (requested || []).filter((id) => !known.has(id));
    let ids = (requested || []).filter((id) => known.has(id));
    const fallBack = requested === null || (unknown.length > 0 && ids.length === 0);
    if (fallBack) ids = this.defaultSelection();
    if (unknown.length) {
      const list = unknown.join(', ');
      this.notice(`No surface with id${unknown.length > 1 ? 's' : ''} ${list} on this server `
        + `(computed on another server, or its cache was cleared): ${fallBack ? 'showing the default group instead' : 'showing the others'}.`);
    }
    const changed = !requested || ids.length !== requested.length || ids.some((id, i) => id !== requested[i]);
    this.state.surfaces = ids;
    if (changed) this.changed();
  }

  /** The first group with a shipped surface, else the first group: what a bare address shows. */
  defaultSelection() {
    const groups = groupListings(this.listings);
    const first = groups.find((g) => g.some((l) => l.shipped)) || groups[0];
    return first ? first.map((l) => l.id) : [];
  }

  /** Shows text above the picker (null hides it). */
  notice(text) {
    const box = this.$('selection-notice');
    box.textContent = text || '';
    box.hidden = !text;
  }

  buildPicker() {
    this.buildTrajectories();
    const root = this.$('surface-picker');
    root.replaceChildren();
    const selected = new Set(this.state.surfaces);
    if (!this.listings.length) { root.textContent = 'No surfaces yet: request one in “New surface”.'; return; }
    for (const group of groupListings(this.listings)) {
      const g = group[0];
      const box = document.createElement('fieldset');
      box.className = 'group';
      const legend = document.createElement('legend');
      legend.textContent = `${g.grid} · directions seed ${g.directions_seed} · ${g.samples} samples · ${g.dataset}${g.shipped ? ' · shipped' : ''}`;
      const only = document.createElement('button');
      only.type = 'button'; only.className = 'link'; only.textContent = 'show group';
      only.addEventListener('click', () => {
        this.notice(null);
        this.state.surfaces = group.map((l) => l.id); this.buildPicker(); this.showSelection(); this.changed();
      });
      box.append(legend);
      for (const l of group) {
        const label = document.createElement('label');
        label.className = 'pick';
        const cb = document.createElement('input');
        cb.type = 'checkbox'; cb.value = l.id; cb.checked = selected.has(l.id);
        cb.addEventListener('change', () => this.toggle(l.id, cb.checked));
        const acc = l.model.test_accuracy == null ? '' : ` · ${(l.model.test_accuracy * 100).toFixed(1)} %`;
        const pending = l.progress.computed < l.progress.total ? ` · ${l.progress.computed}/${l.progress.total}` : '';
        const text = document.createElement('span');
        text.append(document.createTextNode(l.model.name));
        const pill = document.createElement('span');
        pill.className = `pill act-${l.model.activation}`; pill.textContent = l.model.activation;
        text.append(' ', pill, `${acc}${pending}`);
        label.append(cb, text);
        label.title = l.id;
        box.append(label);
      }
      box.append(only);
      root.append(box);
    }
  }

  toggle(id, on) {
    this.notice(null);
    const list = (this.state.surfaces || []).filter((s) => s !== id);
    if (on) list.push(id);
    this.state.surfaces = list;
    this.showSelection();
    this.changed();
  }

  /** Fetches the selected surfaces and rebuilds the panel row. */
  async showSelection() {
    const ids = (this.state.surfaces || []).filter((id) => this.listings.some((l) => l.id === id));
    const container = this.$('surface-panels');
    let surfaces;
    try {
      surfaces = await Promise.all(ids.map((id) => loadSurface(id, this.listings.find((l) => l.id === id))));
    } catch (e) {
      this.showError(e);
      return;
    }
    for (const [id, panel] of this.panels) if (!ids.includes(id)) { panel.element.remove(); this.panels.delete(id); }
    surfaces.forEach((s) => {
      let panel = this.panels.get(s.id);
      if (!panel || panel.surface !== s) {
        if (panel) panel.element.remove();
        panel = new SurfacePanel(s, {
          onHover: (p, info) => this.hovered(p, info),
          onSelect: (alpha, beta) => this.select({ alpha, beta }),
          onRotate: (da, de) => this.rotate(da, de),
        });
        this.panels.set(s.id, panel);
      }
      container.append(panel.element); // re-append keeps the selection order
    });
    container.classList.toggle('empty', surfaces.length === 0);
    this.$('panels-empty').hidden = surfaces.length !== 0;
    this.renderAll();
  }

  /** Applies state (from the URL) to the controls and redraws. */
  syncControls() {
    this.$('view-kind').value = this.state.view;
    this.$('log-scale').checked = this.state.log;
    // Without the server's level range the count cannot be chosen: levels follow the colour bar's ticks.
    const range = levelRange(), levels = this.$('levels');
    levels.disabled = !range;
    levels.min = range ? range.min : '';
    levels.max = range ? range.max : '';
    levels.placeholder = range ? '' : 'auto';
    levels.value = range ? levelsFor(this.state.levels) : '';
    // A level spacing sets the levels; the count is then not used.
    levels.disabled = !range || this.state.vlevel !== null;
    const show = (v) => (v === null ? '' : String(v));
    for (const key of ['vmin', 'vmax', 'vlevel', 'zmax']) {
      if (document.activeElement !== this.$(key)) this.$(key).value = show(this.state[key]);
    }
    this.$('contour-labels').checked = this.state.labels;
    this.$('contour-labels').disabled = this.state.view !== 'contour';
    this.$('zmax-control').hidden = this.state.view !== '3d';
    this.$('reset-view').hidden = this.state.view !== '3d';
  }

  renderAll() {
    this.syncControls();
    const panels = [...this.panels.values()];
    const range = levelRange();
    const scale = new ColourScale(lossValues(panels.map((p) => p.surface)), { log: this.state.log, levels: levelsFor(this.state.levels),
      vmin: this.state.vmin, vmax: this.state.vmax, step: this.state.vlevel, maxLevels: range ? range.max : null });
    this.scale = scale;
    const settings = { kind: this.state.view, log: this.state.log, labels: this.state.labels, zmax: this.state.zmax,
      view: { azimuth: this.state.azimuth, elevation: this.state.elevation, zmax: this.state.zmax } };
    for (const p of panels) { p.selected = this.state.point; p.render(scale, settings); }
    this.updateRowDownloads(panels, settings, scale);
    drawColourbar(this.$('colourbar'), scale);
    const diverged = panels.some((p) => p.surface.diverged && p.surface.diverged.some((row) => row.some(Boolean)));
    this.$('scale-text').textContent = panels.length
      ? `shared scale: loss ${formatNumber(scale.vmin)} – ${formatNumber(scale.vmax)}${scale.log ? ' (log₁₀)' : ''}, ${this.levelText(scale)}`
        + (diverged ? ' · dark ✕ cells: diverged (loss not a finite number)' : '')
      : '';
    this.drawSlices();
  }

  levelText(scale) {
    if (scale.step !== null && scale.stepTooFine) return `level spacing ${formatNumber(scale.step)} gives too many levels: levels at the ticks`;
    if (scale.step !== null) return `a level every ${formatNumber(scale.step)} from ${formatNumber(scale.vmin)}`;
    return scale.levels === null ? 'levels at the ticks' : `${scale.levels} levels`;
  }

  /** The row's menu: the panels side by side on their shared scale, as PNG, SVG or PDF. */
  updateRowDownloads(panels, settings, scale) {
    const menu = this.rowDownloads || (this.rowDownloads = downloadMenu('Download row', { picturesOnly: true, id: 'row-download' }));
    if (!menu.isConnected) this.$('row-download-slot').append(menu);
    // One picture of several surfaces: they must agree on being 1D or 2D (the server draws one kind).
    const dims = new Set(panels.map((p) => p.twoDimensional));
    if (panels.length < 2 || dims.size > 1) { menu.hidden = true; return; }
    menu.update(panels.map((p) => p.surface.id), settings, scale, { twoD: panels[0].twoDimensional });
  }

  hovered(panel, info) {
    const readout = this.$('readout');
    for (const p of this.panels.values()) {
      p.hover = info ? { alpha: info.alpha, beta: info.beta ?? 0 } : null;
      p.compose();
    }
    for (const p of this.panels.values()) p.showPathTip(p === panel && info && info.path ? this.snapshotTip(info.path) : null);
    if (!info) { readout.classList.remove('active'); return; }
    readout.classList.add('active');
    const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(2)} %`);
    const lines = [`<b>α = ${info.alpha.toFixed(3)}${info.beta === null ? '' : `, β = ${info.beta.toFixed(3)}`}</b>`];
    if (info.path) lines.push(this.snapshotLine(panel, info.path, pct));
    for (const p of this.panels.values()) {
      const q = this.valueAt(p, info.alpha, info.beta ?? 0);
      const here = p === panel ? ' class="here"' : '';
      const loss = q.diverged ? 'loss <i>diverged (not a finite number)</i>'
        : q.loss === null ? 'loss <i>not yet computed</i>'
        : `loss ${formatNumber(q.loss, 4)}${q.stderr != null ? ` ± ${formatNumber(q.stderr, 2)}` : ''} · accuracy ${pct(q.accuracy)}`;
      lines.push(`<span${here}>${escapeHtml(p.surface.model.name)}: ${loss}</span>`);
    }
    readout.innerHTML = lines.join('');
  }

  /** The readout of a training-path marker: which snapshot, its step and epoch, and its loss and accuracy. */
  snapshotLine(panel, path, pct) {
    const q = path.point, f = snapshotFigures(q);
    const epoch = q.epoch == null ? '' : ` · epoch ${formatNumber(q.epoch, 4)}`;
    const figures = f.kind === 'test'
      ? `test loss ${formatNumber(f.loss, 4)} · test accuracy ${pct(f.accuracy)}`
      : `train loss ${formatNumber(f.loss, 4)} · accuracy <i>not evaluated</i>`;
    const label = path.index === 0 ? 'start' : path.index === path.total - 1 ? 'end' : `snapshot ${path.index + 1} of ${path.total}`;
    return `<span class="path-readout">${escapeHtml(panel.surface.model.name)} training path, ${label}: `
      + `step ${q.step ?? '—'}${epoch} · ${figures}</span>`;
  }

  /** The tooltip at a training-path marker: start, end or which snapshot; step and epoch; loss and accuracy. */
  snapshotTip(path) {
    const q = path.point, f = snapshotFigures(q);
    const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(2)} %`);
    const kind = path.index === 0 ? 'start' : path.index === path.total - 1 ? 'end' : 'snapshot';
    const title = kind === 'snapshot' ? `snapshot ${path.index + 1} of ${path.total}` : `${kind} of the training path`;
    const epoch = q.epoch == null ? '—' : formatNumber(q.epoch, 4);
    const figures = f.kind === 'test'
      ? `test loss ${formatNumber(f.loss, 4)}<br>test accuracy ${pct(f.accuracy)}`
      : `train loss ${formatNumber(f.loss, 4)}<br>accuracy <i>not evaluated</i>`;
    return { index: path.index, kind, html: `<b>${title}</b><br>step ${q.step ?? '—'} · epoch ${epoch}<br>${figures}` };
  }

  valueAt(panel, alpha, beta) {
    const { r, c } = panel.nearestIndex(alpha, beta);
    const s = panel.surface;
    return { loss: s.loss[r][c], accuracy: s.accuracy[r][c], stderr: s.loss_stderr ? s.loss_stderr[r][c] : null,
      diverged: Boolean(s.diverged && s.diverged[r][c]) };
  }

  select(point) {
    this.state.point = point;
    for (const p of this.panels.values()) { p.selected = point; p.compose(); }
    this.drawSlices();
    this.changed();
  }

  drawSlices() {
    const box = this.$('slice-panel');
    const panels = [...this.panels.values()];
    if (!this.state.point || !panels.length) { box.hidden = true; return; }
    box.hidden = false;
    drawSlices(this.$('slice-x'), this.$('slice-y'), panels.map((p) => p.surface), this.state.point, this.state.log);
  }

  rotate(da, de) {
    this.state.azimuth += da;
    this.state.elevation = Math.max(0.05, Math.min(1.5, this.state.elevation + de));
    cancelAnimationFrame(this.rotateFrame);
    this.rotateFrame = requestAnimationFrame(() => { this.renderAll(); this.changed(); });
  }
}
