// The New surface tab: the request form (POST /api/surfaces), the job's
// progress from its SSE stream, live panels that fill in coarse to fine as
// `point` events arrive, Cancel (DELETE /api/jobs/{id}) and Resume (the same
// POST again: the server continues the same surfaces from their stored points).

import { api, ApiError } from './api.js';
import { SurfacePanel } from './panel.js';
import { ColourScale, GrowingBounds, lossValues, formatNumber } from './scale.js';
import { drawColourbar } from './colourbar.js';
import { loadSurface, loadModels } from './store.js';
import { limits, levelsFor, loadServerSettings, requestSchema } from './limits.js';
import { FINAL_STATES, cancelJob, fillDatasets, fillModels, progressPercent, progressText, showFormError } from './specform.js';

/** Points streamed into `old` while `fresh` was being fetched are kept (diverged ones too). */
function keepComputed(fresh, old) {
  for (const key of ['loss', 'accuracy', 'loss_stderr']) {
    if (!fresh[key] || !old[key]) continue;
    fresh[key].forEach((row, r) => row.forEach((v, c) => { if (v === null && old[key][r] && old[key][r][c] != null) row[c] = old[key][r][c]; }));
  }
  if (old.diverged) {
    if (!fresh.diverged) fresh.diverged = fresh.loss.map((row) => row.map(() => false));
    old.diverged.forEach((row, r) => row.forEach((d, c) => { if (d && fresh.diverged[r]) fresh.diverged[r][c] = true; }));
  }
}

export class NewSurface {
  /** onFinished(job): called when a job ends (to refresh the picker); openInLandscapes(ids). */
  constructor(state, onFinished, openInLandscapes) {
    this.state = state;
    this.onFinished = onFinished;
    this.openInLandscapes = openInLandscapes;
    this.$ = (id) => document.getElementById(id);
    this.panels = new Map();
    this.pending = new Map(); // surface id -> points that arrived before its JSON
    this.request = null; // the body that was POSTed for the job shown, sent again by Resume
    this.$('new-surface-form').addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    this.$('cancel-job').addEventListener('click', () => this.cancel());
    this.$('resume-job').addEventListener('click', () => this.request && this.send(this.request));
    this.$('open-job').addEventListener('click', () => this.job && this.openInLandscapes(this.job.surface_ids));
  }

  async init() {
    try {
      const [models, datasets] = await Promise.all([loadModels(), api.get('/api/datasets'), loadServerSettings()]);
      const accuracy = (m) => (m.card?.metrics?.test_accuracy != null ? ` · ${(m.card.metrics.test_accuracy * 100).toFixed(1)} %` : '');
      fillModels(this.$('ns-models'), models, { label: (m) => `${m.name} (${m.activation}${accuracy(m)})`,
        preselect: limits()?.maxModels ?? models.length });
      fillDatasets(this.$('ns-dataset'), datasets.datasets);
      this.applyServerSettings();
    } catch (e) {
      this.formError(e);
    }
  }

  /**
   * Starts the form from the request defaults and examples the server documents and marks its caps;
   * a field the server documents no default for starts empty and is left out of the request.
   */
  applyServerSettings() {
    const schema = requestSchema(), caps = limits();
    const defaults = schema ? schema.defaults : {}, examples = schema ? schema.examples : {};
    const start = (id, value) => { this.$(id).value = value ?? ''; this.$(id).placeholder = value == null ? 'server default' : ''; };
    start('ns-samples', defaults.samples);
    start('ns-seed', defaults.seed);
    start('ns-x', examples.x);
    start('ns-y', examples.y);
    const choices = (id, values, chosen, label = (v) => v) => {
      const options = (values || []).map((v) => new Option(label(v), v, v === chosen, v === chosen));
      // No documented default: the first entry leaves the field to the server.
      if (chosen == null || !options.length) options.unshift(new Option('server default', '', true, true));
      this.$(id).replaceChildren(...options);
    };
    choices('ns-norm', schema?.choices.norm, defaults.norm);
    const images = defaults.bn_batches && defaults.bn_batch_size ? `${defaults.bn_batches}×${defaults.bn_batch_size} ` : '';
    choices('ns-bn', schema?.choices.bn_mode, defaults.bn_mode,
      (v) => ({ eval: 'eval (running stats)', recompute: `recompute (${images}train images per point)` })[v] || v);
    const samples = this.$('ns-samples');
    samples.max = caps?.maxSamples ?? '';
    this.$('ns-samples-cap').textContent = caps?.maxSamples ? `at most ${caps.maxSamples}` : '';
    this.$('ns-grid-cap').textContent = caps?.maxGridPoints ? ` · at most ${caps.maxGridPoints} points in all` : '';
  }

  formError(e) { showFormError(this.$('form-error'), e); }

  /** The request: the fields filled in; an empty one is left out, so the server's default applies. */
  body() {
    const v = (id) => this.$(id).value.trim();
    const body = { models: [...this.$('ns-models').selectedOptions].map((o) => o.value), x: v('ns-x') };
    for (const [key, id] of [['dataset', 'ns-dataset'], ['y', 'ns-y'], ['norm', 'ns-norm'], ['bn_mode', 'ns-bn']]) if (v(id)) body[key] = v(id);
    for (const [key, id] of [['samples', 'ns-samples'], ['seed', 'ns-seed']]) if (v(id)) body[key] = Number(v(id));
    return body;
  }

  /** What the server would refuse, said before sending (only for the caps it publishes); null when fine. */
  problem(body) {
    if (!body.models.length) return 'models: select at least one model';
    if (['samples', 'seed'].some((k) => k in body && !Number.isInteger(body[k]))) return 'samples and seed must be whole numbers';
    const caps = limits();
    if (!caps) return null;
    if (caps.maxModels && body.models.length > caps.maxModels) {
      return `models: at most ${caps.maxModels} per request on this server, ${body.models.length} selected`;
    }
    if (caps.maxSamples && body.samples > caps.maxSamples) return `samples: at most ${caps.maxSamples} on this server, got ${body.samples}`;
    const count = (axis) => { const m = /^[^:]+:[^:]+:\s*(\d+)\s*$/.exec(axis || ''); return m ? Number(m[1]) : null; };
    const cx = count(body.x), cy = body.y ? count(body.y) : 1;
    // Malformed grids are left to the server, whose message says what it expects.
    if (caps.maxGridPoints && cx !== null && cy !== null && cx * cy > caps.maxGridPoints) {
      return `grid: ${cx}${body.y ? ` × ${cy} = ${cx * cy}` : ''} points exceeds this server's cap of ${caps.maxGridPoints}`;
    }
    return null;
  }

  async submit() {
    this.formError(null);
    const body = this.body();
    const problem = this.problem(body);
    if (problem) { this.formError(new ApiError(0, problem)); return; }
    await this.send(body);
  }

  /** POSTs a request and follows its job; Resume sends the same body again. */
  async send(body) {
    const buttons = [this.$('ns-submit'), this.$('resume-job')];
    buttons.forEach((b) => { b.disabled = true; });
    this.formError(null);
    try {
      const { job } = await api.post('/api/surfaces', body);
      this.request = body;
      await this.follow(job);
    } catch (e) {
      this.formError(e);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  /** Shows a job: subscribe to its events first, then fetch its surfaces (late points are buffered). */
  async follow(job) {
    if (this.source) this.source.close();
    this.job = job;
    this.panels.forEach((p) => p.element.remove());
    this.panels.clear();
    this.pending.clear();
    this.bounds = null; // a new job starts its own colour scale
    this.$('job-box').hidden = false;
    this.$('open-job').hidden = true;
    this.updateProgress(job);
    if (!FINAL_STATES.includes(job.state)) this.subscribe(job.id);
    await this.loadPanels(job.surface_ids);
    if (FINAL_STATES.includes(job.state)) this.finish(job);
  }

  subscribe(id) {
    const source = new EventSource(`/api/jobs/${encodeURIComponent(id)}/events`);
    this.source = source;
    let opened = false;
    source.addEventListener('open', () => {
      // After a dropped connection the server resends progress only: refetch the points we missed.
      if (opened) this.loadPanels(this.job.surface_ids);
      opened = true;
    });
    source.addEventListener('progress', (e) => this.updateProgress(JSON.parse(e.data).job));
    source.addEventListener('point', (e) => this.point(JSON.parse(e.data)));
    for (const kind of FINAL_STATES) {
      source.addEventListener(kind, (e) => { source.close(); this.finish(JSON.parse(e.data).job); });
    }
  }

  async loadPanels(ids) {
    try {
      const surfaces = await Promise.all(ids.map((id) => loadSurface(id, null, { fresh: true })));
      const container = this.$('job-panels');
      for (const s of surfaces) {
        let panel = this.panels.get(s.id);
        if (!panel || panel.surface !== s) {
          if (panel) { keepComputed(s, panel.surface); panel.element.remove(); }
          panel = new SurfacePanel(s, { onHover: (p, info) => this.hovered(info), onSelect: () => {}, onRotate: () => {} });
          this.panels.set(s.id, panel);
          container.append(panel.element);
        }
        for (const p of this.pending.get(s.id) || []) panel.applyPoint(p);
        this.pending.delete(s.id);
      }
      this.scheduleRender();
    } catch (e) {
      this.formError(e);
    }
  }

  point(p) {
    const panel = this.panels.get(p.surface_id);
    if (panel) { panel.applyPoint(p); this.scheduleRender(); return; }
    if (!this.pending.has(p.surface_id)) this.pending.set(p.surface_id, []);
    this.pending.get(p.surface_id).push(p);
  }

  scheduleRender() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      const panels = [...this.panels.values()];
      const log = this.state.log;
      if (!this.bounds || this.bounds.log !== log) this.bounds = new GrowingBounds(log);
      const range = this.bounds.include(lossValues(panels.map((p) => p.surface)));
      const scale = new ColourScale([], { log, levels: levelsFor(this.state.levels), bounds: range });
      const kind = this.state.view === 'contour' ? 'heatmap' : this.state.view; // a filling grid reads best filled
      for (const p of panels) p.render(scale, { kind, log, view: { azimuth: this.state.azimuth, elevation: this.state.elevation } });
      this.$('job-scale').hidden = !range;
      if (range) drawColourbar(this.$('job-colourbar'), scale);
      this.$('job-scale-text').textContent = range
        ? `loss ${formatNumber(scale.vmin)} – ${formatNumber(scale.vmax)}${log ? ' (log₁₀)' : ''}: held while points arrive, widened only for a point outside`
        : '';
    });
  }

  updateProgress(job) {
    this.job = job;
    const bar = this.$('job-progress');
    bar.max = 100;
    bar.value = progressPercent(job);
    this.$('job-progress-text').textContent = progressText(job, { unit: 'points', rateUnit: 'points',
      nothingToDo: 'every point was already computed' });
    this.$('job-box').dataset.state = job.state;
    this.$('cancel-job').disabled = FINAL_STATES.includes(job.state);
    this.$('resume-job').hidden = !(this.request && ['cancelled', 'failed'].includes(job.state));
  }

  async finish(job) {
    this.updateProgress(job);
    if (job.state === 'done') this.$('job-progress').value = 100;
    if (job.state === 'failed') this.formError(new ApiError(0, `job ${job.id} failed`, job.error || ''));
    await this.loadPanels(job.surface_ids);
    this.$('open-job').hidden = job.state !== 'done';
    this.onFinished(job);
  }

  async cancel() {
    if (!this.job) return;
    try { this.updateProgress(await cancelJob(this.job)); } catch (e) { this.formError(e); }
  }

  hovered(info) {
    const box = this.$('job-readout');
    if (!info) { box.textContent = 'Hover over a panel to read its values.'; return; }
    const beta = info.beta === null ? '' : `, β = ${info.beta.toFixed(3)}`;
    const where = `${info.surface.model.name} · α = ${info.alpha.toFixed(3)}${beta}`;
    const stderr = info.stderr != null ? ` ± ${formatNumber(info.stderr, 2)}` : '';
    const accuracy = info.accuracy == null ? '—' : `${(info.accuracy * 100).toFixed(2)} %`;
    box.textContent = info.diverged ? `${where} · loss diverged (not a finite number)`
      : info.loss === null ? `${where} · not yet computed`
      : `${where} · loss ${formatNumber(info.loss, 4)}${stderr} · accuracy ${accuracy}`;
  }
}
