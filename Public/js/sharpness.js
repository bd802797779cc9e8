// The Sharpness tab: Hessian spectra of trained models (POST /api/hessian, a
// job on the same queue as surfaces). The form is built from the request's
// fields in GET /api/limits (hessian_fields: type, default, bounds; the page
// holds no copy), progress comes from the job's SSE stream with Cancel
// (DELETE /api/jobs/{id}), and a finished run (GET /api/hessian/{id}) is
// drawn: top eigenvalues side by side, trace ± s.e. per model, densities on
// one log axis, and a table of the numbers. Below, seed studies (seedstudy.js:
// POST /api/studies, the same queue) and their per-seed strip plots (seedstrips.js).

import { api, ApiError } from './api.js';
import { loadModels } from './store.js';
import { hessianFields, loadServerSettings } from './limits.js';
import { formatNumber } from './scale.js';
import { drawEigenvalues, drawTrace, drawDensities } from './spectrumplots.js';
import { SeedStudies } from './seedstudy.js';

const FINAL_STATES = ['done', 'failed', 'cancelled'];
// Fields with a control of their own (models, dataset) or that only a script needs (split, subset seed).
const SPECIAL = new Set(['models', 'dataset']);
const ADVANCED = new Set(['split', 'subset', 'subset_seed', 'negative', 'density_runs', 'density_steps', 'lanczos_steps', 'seed']);

export class Sharpness {
  constructor(state, showError) {
    this.state = state;
    this.showError = showError;
    this.$ = (id) => document.getElementById(id);
    this.fields = [];
    this.result = null;
    this.$('hs-form').addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    this.$('hs-cancel').addEventListener('click', () => this.cancel());
    this.studies = new SeedStudies();
  }

  async init() {
    try {
      const [models, datasets] = await Promise.all([loadModels(), api.get('/api/datasets'), loadServerSettings()]);
      this.fields = hessianFields() || [];
      const select = this.$('hs-models');
      select.replaceChildren(...models.map((m) => new Option(`${m.name} (${m.activation})`, m.id, true, true)));
      select.size = Math.min(6, Math.max(3, models.length));
      this.$('hs-dataset').replaceChildren(...datasets.datasets.map((d) => {
        const o = new Option(d.available ? d.id : `${d.id} (not available)`, d.id);
        o.disabled = !d.available;
        return o;
      }));
      const modelsField = this.fields.find((f) => f.name === 'models');
      this.$('hs-models-cap').textContent = modelsField?.maximum ? `at most ${modelsField.maximum}` : '';
      this.buildForm();
      this.studies.init(models, datasets.datasets);
    } catch (e) {
      this.formError(e);
    }
  }

  /** One control per field of the spec: integers as number inputs with the spec's bounds, booleans as checkboxes, choices as selects. */
  buildForm() {
    const main = this.$('hs-fields'), more = this.$('hs-advanced-fields');
    main.replaceChildren();
    more.replaceChildren();
    this.$('hs-no-fields').hidden = this.fields.length > 0;
    for (const f of this.fields) {
      if (SPECIAL.has(f.name)) continue;
      const label = document.createElement('label');
      label.title = f.description || '';
      const name = f.name.replace(/_/g, ' ');
      let control;
      if (f.type === 'boolean') {
        label.className = 'check';
        control = document.createElement('input');
        control.type = 'checkbox';
        control.checked = f.default === 'true';
        label.append(control, ` ${name}`);
      } else if (f.allowed) {
        control = document.createElement('select');
        control.replaceChildren(...f.allowed.map((v) => new Option(v, v, v === f.default, v === f.default)));
        label.append(name, control);
      } else {
        control = document.createElement('input');
        control.type = f.type === 'integer' ? 'number' : 'text';
        if (f.type === 'integer') control.step = '1';
        if (f.minimum != null) control.min = String(f.minimum);
        if (f.maximum != null) control.max = String(f.maximum);
        control.value = f.default ?? '';
        control.placeholder = f.default == null ? 'server default' : '';
        const bounds = document.createElement('small');
        bounds.textContent = f.maximum != null ? ` ${f.minimum ?? ''}…${f.maximum}` : '';
        label.append(name, bounds, control);
      }
      control.id = `hs-${f.name.replace(/_/g, '-')}`;
      control.dataset.field = f.name;
      control.dataset.type = f.type;
      (ADVANCED.has(f.name) ? more : main).append(label);
    }
  }

  formError(e) {
    const box = this.$('hs-error');
    if (!e) { box.hidden = true; box.replaceChildren(); return; }
    const strong = document.createElement('strong');
    strong.textContent = e instanceof ApiError ? e.error : String(e);
    box.replaceChildren(strong);
    if (e instanceof ApiError && e.detail) { const d = document.createElement('div'); d.textContent = e.detail; box.append(d); }
    box.hidden = false;
  }

  /** The request: the models, the dataset and every field filled in (an empty one takes the server's default). */
  body() {
    const body = { models: [...this.$('hs-models').selectedOptions].map((o) => o.value) };
    if (this.$('hs-dataset').value) body.dataset = this.$('hs-dataset').value;
    for (const control of this.$('hs-form').querySelectorAll('[data-field]')) {
      const name = control.dataset.field;
      if (control.dataset.type === 'boolean') body[name] = control.checked;
      else if (control.value.trim() !== '') body[name] = control.dataset.type === 'integer' ? Number(control.value) : control.value.trim();
    }
    return body;
  }

  /** What the spec's published bounds refuse, said before sending; null when fine (the server checks everything anyway). */
  problem(body) {
    if (!body.models.length) return 'models: select at least one model';
    for (const f of this.fields) {
      const v = body[f.name];
      if (v === undefined) continue;
      if (f.type === 'integer' && !Number.isInteger(v)) return `${f.name}: expected a whole number`;
      if (f.type === 'array' && f.maximum != null && v.length > f.maximum) return `${f.name}: at most ${f.maximum} on this server, ${v.length} selected`;
      if (f.type === 'integer' && f.maximum != null && v > f.maximum) return `${f.name}: at most ${f.maximum} on this server, got ${v}`;
      if (f.type === 'integer' && f.minimum != null && v < f.minimum) return `${f.name}: at least ${f.minimum}, got ${v}`;
    }
    return null;
  }

  async submit() {
    this.formError(null);
    const body = this.body();
    const problem = this.problem(body);
    if (problem) { this.formError(new ApiError(0, problem)); return; }
    const button = this.$('hs-submit');
    button.disabled = true;
    try {
      const { job } = await api.post('/api/hessian', body);
      this.follow(job);
    } catch (e) {
      this.formError(e);
    } finally {
      button.disabled = false;
    }
  }

  follow(job) {
    if (this.source) this.source.close();
    this.$('hs-job').hidden = false;
    this.$('hs-results').hidden = true;
    this.updateProgress(job);
    if (FINAL_STATES.includes(job.state)) { this.finish(job); return; }
    const source = new EventSource(`/api/jobs/${encodeURIComponent(job.id)}/events`);
    this.source = source;
    source.addEventListener('progress', (e) => this.updateProgress(JSON.parse(e.data).job));
    for (const kind of FINAL_STATES) source.addEventListener(kind, (e) => { source.close(); this.finish(JSON.parse(e.data).job); });
  }

  updateProgress(job) {
    this.job = job;
    const { done, total, rate, eta_seconds: eta, phase } = job.progress;
    const percent = total > 0 ? Math.min(100, (100 * done) / total) : job.state === 'done' ? 100 : 0;
    this.$('hs-progress').value = percent;
    const parts = [`${job.id} · ${job.state}`, `${done} / ${total} Hessian-vector products`, `${Math.floor(percent)} %`];
    if (phase && !FINAL_STATES.includes(job.state)) parts.push(phase);
    if (rate) parts.push(`${formatNumber(rate)} products/s`);
    if (eta != null && !FINAL_STATES.includes(job.state)) parts.push(`about ${Math.ceil(eta)} s left`);
    this.$('hs-progress-text').textContent = parts.join(' · ');
    this.$('hs-job').dataset.state = job.state;
    this.$('hs-cancel').disabled = FINAL_STATES.includes(job.state);
  }

  async finish(job) {
    this.updateProgress(job);
    if (job.state === 'done') this.$('hs-progress').value = 100;
    if (job.state === 'failed') this.formError(new ApiError(0, `job ${job.id} failed`, job.error || ''));
    if (job.state !== 'done' || !job.hessian_id) return;
    try {
      this.result = await api.get(`/api/hessian/${encodeURIComponent(job.hessian_id)}`);
      this.render();
    } catch (e) {
      this.formError(e);
    }
  }

  async cancel() {
    if (!this.job) return;
    try {
      const { job } = await api.del(`/api/jobs/${encodeURIComponent(this.job.id)}`);
      this.updateProgress(job);
    } catch (e) {
      this.formError(e);
    }
  }

  /** Draws the finished run (canvases need the tab visible: called again when the tab is shown). */
  render() {
    this.studies.render();
    if (!this.result || this.$('section-sharpness').hidden) return;
    const spectra = this.result.spectra;
    this.$('hs-results').hidden = false;
    const has = (test) => spectra.some(test);
    this.$('hs-eigen-card').hidden = !has((s) => s.top_eigenvalues.length > 0);
    this.$('hs-trace-card').hidden = !has((s) => Number.isFinite(s.trace));
    this.$('hs-density-card').hidden = !has((s) => s.density);
    if (!this.$('hs-eigen-card').hidden) drawEigenvalues(this.$('hs-eigen-canvas'), spectra);
    if (!this.$('hs-trace-card').hidden) drawTrace(this.$('hs-trace-canvas'), spectra);
    if (!this.$('hs-density-card').hidden) drawDensities(this.$('hs-density-canvas'), spectra);
    const rows = spectra.map((s) => {
      const tr = document.createElement('tr');
      const cells = [
        s.model.name,
        s.top_eigenvalues.map((v) => formatNumber(v, 4)).join(', ') || '—',
        Number.isFinite(s.trace) ? `${formatNumber(s.trace, 4)} ± ${formatNumber(s.trace_stderr ?? NaN, 2)}` : '—',
        String(s.samples),
        `${s.timing.products} in ${formatNumber(s.timing.seconds, 3)} s`,
      ];
      for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.append(td); }
      return tr;
    });
    this.$('hs-table').replaceChildren(...rows);
    const run = this.result.run;
    this.$('hs-run-text').textContent = `run ${run.id} · ${run.samples} images of ${run.dataset} · seed ${run.seed}`;
  }
}
