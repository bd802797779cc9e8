// The Activations tab (f, f′, f″ from GET /api/activations.json, minimum
// marked) and the Output landscapes tab (PNG of random networks' outputs,
// as in the Mish paper, from GET /api/output-landscape.png).

import { api, ApiError } from './api.js';
import { limits } from './limits.js';
import { prepare } from './canvas.js';
import { drawLinePlot } from './lineplot.js';
import { seriesColour } from './colormap.js';
import { ACTIVATIONS } from './activationnames.js';
const POINTS = 401;

function parseRange(text) {
  const m = /^\s*(-?\d*\.?\d+(?:e-?\d+)?)\s*:\s*(-?\d*\.?\d+(?:e-?\d+)?)\s*$/i.exec(text);
  if (!m || !(Number(m[2]) > Number(m[1]))) return null;
  return [Number(m[1]), Number(m[2])];
}

export class Activations {
  constructor(state, changed, showError) {
    this.state = state;
    this.changed = changed;
    this.showError = showError;
    this.$ = (id) => document.getElementById(id);
    this.buildChips();
    this.$('act-range').addEventListener('change', () => this.rangeChanged('act-range'));
    this.$('out-range').addEventListener('change', () => this.rangeChanged('out-range'));
    this.$('out-seed').addEventListener('change', () => {
      this.state.seed = Math.max(0, Math.round(Number(this.$('out-seed').value) || 0));
      this.changed(); this.drawOutput();
    });
    this.$('out-size').addEventListener('change', () => this.drawOutput());
    this.$('out-new-seed').addEventListener('click', () => {
      this.state.seed = Math.floor(Math.random() * 10000);
      this.changed(); this.drawOutput();
    });
    const img = this.$('output-image');
    img.addEventListener('load', () => { this.$('output-status').textContent = ''; img.classList.remove('loading'); });
    img.addEventListener('error', () => {
      img.classList.remove('loading');
      this.$('output-status').textContent = 'The server could not render this output landscape (see the address in a new tab for its error).';
    });
    window.addEventListener('resize', () => { if (this.data) this.drawActivations(); });
  }

  /** The activation chips, from the server's list (empty until GET /api/limits has answered). */
  buildChips() {
    this.buildChecks('act-list');
    this.buildChecks('out-list');
    this.buildSizes();
  }

  /** The output landscape's size choices, from the server (none: the server's default size is drawn). */
  buildSizes() {
    const sizes = limits()?.outputLandscape;
    const select = this.$('out-size');
    select.disabled = !sizes;
    if (!sizes) return;
    select.replaceChildren(...sizes.sizes.map((n) => {
      const option = document.createElement('option');
      option.value = String(n); option.textContent = String(n); option.selected = n === sizes.default;
      return option;
    }));
  }

  buildChecks(id) {
    const root = this.$(id);
    root.replaceChildren(...ACTIVATIONS.map((name) => {
      const label = document.createElement('label');
      label.className = 'chip';
      const cb = document.createElement('input');
      cb.type = 'checkbox'; cb.value = name;
      cb.addEventListener('change', () => {
        const chosen = [...root.querySelectorAll('input:checked')].map((c) => c.value);
        if (!chosen.length) { cb.checked = true; return; } // keep at least one
        const most = limits()?.maxActivations;
        if (most && chosen.length > most) {
          cb.checked = false;
          this.showError(new ApiError(0, `at most ${most} activations at once on this server`, 'untick one to add another'));
          return;
        }
        this.state.acts = chosen;
        this.changed();
        this.sync();
        id === 'act-list' ? this.loadActivations() : this.drawOutput();
      });
      const dot = document.createElement('span');
      dot.className = 'dot';
      dot.style.background = seriesColour(name);
      label.append(cb, dot, name);
      return label;
    }));
  }

  rangeChanged(id) {
    const input = this.$(id);
    if (!parseRange(input.value)) { input.setCustomValidity('expected start:end with end > start, e.g. -5:5'); input.reportValidity(); return; }
    input.setCustomValidity('');
    this.state.range = input.value.trim();
    this.changed();
    this.sync();
    id === 'act-range' ? this.loadActivations() : this.drawOutput();
  }

  /** Puts the shared state into both tabs' controls. */
  sync() {
    for (const id of ['act-list', 'out-list']) {
      for (const cb of this.$(id).querySelectorAll('input')) cb.checked = this.state.acts.includes(cb.value);
    }
    this.$('act-range').value = this.state.range;
    this.$('out-range').value = this.state.range;
    this.$('out-seed').value = this.state.seed;
  }

  async loadActivations() {
    this.sync();
    const q = new URLSearchParams({ names: this.state.acts.join(','), range: this.state.range, points: String(POINTS) });
    try {
      this.data = await api.get(`/api/activations.json?${q.toString().replace(/%2C/g, ',').replace(/%3A/g, ':')}`);
    } catch (e) {
      this.showError(e);
      return;
    }
    this.drawActivations();
  }

  drawActivations() {
    const canvas = this.$('activation-canvas');
    const { ctx, width, height } = prepare(canvas);
    const { x, activations } = this.data;
    const plots = [['f', 'f(x)'], ['df', 'f′(x)'], ['d2f', 'f″(x)']];
    const gap = 8, w = (width - 2 * gap) / 3;
    const colour = new Map(activations.map((a, i) => [a.name, seriesColour(a.name, i)]));
    let labels = [];
    plots.forEach(([key, label], k) => {
      ctx.save();
      ctx.translate(k * (w + gap), 0);
      const series = activations.map((a) => ({ x, y: a[key], colour: colour.get(a.name), label: a.display_name || a.name }));
      const markers = key === 'f'
        ? activations.filter((a) => a.minimum).map((a) => ({ x: a.minimum.x, y: a.minimum.value, colour: colour.get(a.name),
          label: `${a.display_name || a.name} min` }))
        : [];
      const out = drawLinePlot({ ctx, width: w, height }, { title: label, xLabel: 'x', series, markers, legend: k === 0, robust: key !== 'f' });
      if (key === 'f') labels = out.labels.map(({ text, x: lx, y, w: lw, h }) => ({ text, x: lx + k * (w + gap), y, w: lw, h }));
      ctx.restore();
    });
    // What was drawn where, for tests and tools that read the page (canvas pixels are not searchable).
    canvas.dataset.curveColours = JSON.stringify(Object.fromEntries(colour));
    canvas.dataset.minimumLabels = JSON.stringify(labels);
    const rows = activations.map((a) => {
      const tr = document.createElement('tr');
      const cells = [a.display_name || a.name,
        a.minimum ? a.minimum.x.toFixed(4) : 'none', a.minimum ? a.minimum.value.toFixed(5) : '—'];
      cells.forEach((c, i) => {
        const td = document.createElement('td');
        if (i === 0) { const dot = document.createElement('span'); dot.className = 'dot'; dot.style.background = colour.get(a.name); td.append(dot); }
        td.append(c);
        tr.append(td);
      });
      return tr;
    });
    this.$('act-minima').replaceChildren(...rows);
  }

  drawOutput() {
    this.sync();
    const size = this.$('out-size').value;
    const q = new URLSearchParams({ activations: this.state.acts.join(','), seed: String(this.state.seed), range: this.state.range });
    if (size) q.set('size', size);
    const src = `/api/output-landscape.png?${q.toString().replace(/%2C/g, ',').replace(/%3A/g, ':')}`;
    const img = this.$('output-image');
    if (img.getAttribute('src') === src) return;
    img.classList.add('loading');
    this.$('output-status').textContent = 'rendering…';
    img.src = src;
    img.alt = `output landscapes of random networks with ${this.state.acts.join(', ')} (seed ${this.state.seed})`;
    const captions = this.$('output-captions');
    captions.replaceChildren(...this.state.acts.map((a) => { const s = document.createElement('span'); s.textContent = a; return s; }));
  }
}
