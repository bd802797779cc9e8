// The seed-study part of the Sharpness tab: POST /api/studies (a job on the
// same queue as surfaces and Hessian runs). The form is built from the
// request's fields in GET /api/limits (study_fields: SeedStudySpec's own
// fields, then the surface's; the page holds no copy), progress comes from the
// job's SSE stream with Cancel (DELETE /api/jobs/{id}), and the finished study
// (GET /api/studies/{id}) is drawn by seedstrips.js in #seed-strips.

import { api, ApiError } from './api.js';
import { studyFields } from './limits.js';
import { formatNumber } from './scale.js';
import { renderSeedStrips } from './seedstrips.js';

const FINAL_STATES = ['done', 'failed', 'cancelled'];
// Fields with a control of their own.
const SPECIAL = new Set(['models', 'dataset']);
// The first controls: what a study is about; the rest under "More options".
const MAIN = new Set(['seeds', 'width_threshold', 'x', 'y', 'samples']);

export class SeedStudies {
  constructor() {
    this.$ = (id) => document.getElementById(id);
    this.fields = [];
    this.study = null;
    this.$('ss-form').addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    this.$('ss-cancel').addEventListener('click', () => this.cancel());
    renderSeedStrips(this.$('seed-strips'), null);
  }

  /** Fills the form once the models, the datasets and the limits are known (the Sharpness tab loads them). */
  init(models, datasets) {
    this.fields = studyFields() || [];
    const select = this.$('ss-models');
    select.replaceChildren(...models.map((m) => new Option(`${m.name} (${m.activation})`, m.id, true, true)));
    select.size = Math.min(6, Math.max(3, models.length));
    this.$('ss-dataset').replaceChildren(...datasets.map((d) => {
      const o = new Option(d.available ? d.id : `${d.id} (not available)`, d.id);
      o.disabled = !d.available;
      return o;
    }));
    const modelsField = this.fields.find((f) => f.name === 'models');
    this.$('ss-models-cap').textContent = modelsField?.maximum ? `at most ${modelsField.maximum}` : '';
    this.$('ss-no-fields').hidden = this.fields.length > 0;
    this.$('ss-submit').disabled = this.fields.length === 0;
    this.buildForm();
  }

  /** One control per field of the spec: numbers as number inputs with the spec's bounds, choices as selects, text otherwise. */
  buildForm() {
    const main = this.$('ss-fields'), more = this.$('ss-advanced-fields');
    main.replaceChildren();
    more.replaceChildren();
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
        const choices = f.required || f.default != null ? f.allowed : [''].concat(f.allowed);
        control.replaceChildren(...choices.map((v) => new Option(v || 'server default', v, v === f.default, v === f.default)));
        label.append(name, control);
      } else {
        control = document.createElement('input');
        control.type = f.type === 'integer' ? 'number' : 'text';
        if (f.type === 'integer') control.step = '1';
        if (f.type === 'integer' && f.minimum != null) control.min = String(f.minimum);
        if (f.type === 'integer' && f.maximum != null) control.max = String(f.maximum);
        control.value = f.default ?? '';
        control.placeholder = f.name === 'seeds' ? 'e.g. 0:9 or 0,3,7' : f.default == null ? 'server default' : '';
        const bounds = document.createElement('small');
        if (f.name === 'seeds' && f.maximum != null) bounds.textContent = ` ${f.minimum ?? 2}…${f.maximum} seeds`;
        else if (f.type === 'integer' && f.maximum != null) bounds.textContent = ` ${f.minimum ?? ''}…${f.maximum}`;
        label.append(name, bounds, control);
      }
      control.id = `ss-${f.name.replace(/_/g, '-')}`;
      control.dataset.field = f.name;
      control.dataset.type = f.type;
      (MAIN.has(f.name) ? main : more).append(label);
    }
  }

  formError(e) {
    const box = this.$('ss-error');
    if (!e) { box.hidden = true; box.replaceChildren(); return; }
    const strong = document.createElement('strong');
    strong.textContent = e instanceof ApiError ? e.error : String(e);
    box.replaceChildren(strong);
    if (e instanceof ApiError && e.detail) { const d = document.createElement('div'); d.textContent = e.detail; box.append(d); }
    box.hidden = false;
  }

  /**
   * The request: models, dataset and every field set to something other than its default (an empty or default
   * one takes the server's default: fields such as bn_batches are refused unless their mode asks for them).
   */
  body() {
    const body = { models: [...this.$('ss-models').selectedOptions].map((o) => o.value) };
    if (this.$('ss-dataset').value) body.dataset = this.$('ss-dataset').value;
    const defaults = new Map(this.fields.map((f) => [f.name, f.default]));
    for (const control of this.$('ss-form').querySelectorAll('[data-field]')) {
      const name = control.dataset.field, type = control.dataset.type, value = control.value.trim();
      const fallback = defaults.get(name);
      if (type === 'boolean') { if (control.checked !== (fallback === 'true')) body[name] = control.checked; }
      else if (value !== '' && value !== fallback) {
        body[name] = type === 'integer' || type === 'number' ? Number(control.value) : control.value.trim();
      }
    }
    return body;
  }

  /** What the published fields refuse, said before sending; null when fine (the server checks everything anyway). */
  problem(body) {
    if (!body.models.length) return 'models: select at least one model';
    for (const f of this.fields) {
      const v = body[f.name];
      if (v === undefined) { if (f.required && !SPECIAL.has(f.name)) return `${f.name}: required`; continue; }
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
    const button = this.$('ss-submit');
    button.disabled = true;
    try {
      const { job } = await api.post('/api/studies', body);
      this.follow(job);
    } catch (e) {
      this.formError(e);
    } finally {
      button.disabled = false;
    }
  }

  follow(job) {
    if (this.source) this.source.close();
    this.$('ss-job').hidden = false;
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
    this.$('ss-progress').value = percent;
    const parts = [`${job.id} · ${job.state}`, `${done} / ${total} grid points over all seeds`, `${Math.floor(percent)} %`];
    if (phase && !FINAL_STATES.includes(job.state)) parts.push(phase);
    if (rate) parts.push(`${formatNumber(rate)} points/s`);
    if (eta != null && !FINAL_STATES.includes(job.state)) parts.push(`about ${Math.ceil(eta)} s left`);
    this.$('ss-progress-text').textContent = parts.join(' · ');
    this.$('ss-job').dataset.state = job.state;
    this.$('ss-cancel').disabled = FINAL_STATES.includes(job.state);
  }

  async finish(job) {
    this.updateProgress(job);
    if (job.state === 'done') this.$('ss-progress').value = 100;
    if (job.state === 'failed') this.formError(new ApiError(0, `job ${job.id} failed`, job.error || ''));
    if (job.state !== 'done' || !job.study_id) return;
    try {
      this.study = await api.get(`/api/studies/${encodeURIComponent(job.study_id)}`);
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

  /** Draws the finished study (canvases need the tab visible: called again when the tab is shown). */
  render() {
    if (!this.study || this.$('section-sharpness').hidden) return;
    renderSeedStrips(this.$('seed-strips'), this.study);
  }
}
