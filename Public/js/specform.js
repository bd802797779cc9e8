// The plumbing every request form of the page shares (the Sharpness tab's
// Hessian and seed-study forms; the New surface tab uses its pieces):
//
//   - the models / dataset selects filled from GET /api/models and /api/datasets;
//   - one control per field of the library's spec, as GET /api/limits publishes
//     them ({name, type, description, default, allowed, minimum, maximum,
//     required, required_unless}): the page holds no copy of a default or a bound;
//   - the request body (fields left empty or at their default are left out, so
//     the server's default applies), a check against the published bounds
//     before sending, and the API's {"error", "detail"} shown as is;
//   - the job box (progress bar, Cancel, progress text), following the job's
//     SSE stream (GET /api/jobs/{id}/events) to its end.
//
// The markup of a form body and of a job box is built here from the ids'
// prefix, so index.html holds only the card, its title and its description.

import { api, ApiError } from './api.js';
import { formatNumber } from './scale.js';

export const FINAL_STATES = ['done', 'failed', 'cancelled'];

/** Shows an error (an ApiError's error and detail, or any value's text) in `box`; null hides the box. */
export function showFormError(box, e) {
  if (!e) { box.hidden = true; box.replaceChildren(); return; }
  const strong = document.createElement('strong');
  strong.textContent = e instanceof ApiError ? e.error : String(e);
  box.replaceChildren(strong);
  if (e instanceof ApiError && e.detail) { const d = document.createElement('div'); d.textContent = e.detail; box.append(d); }
  box.hidden = false;
}

/** The models as options of a multiple select (`label(m)` the text; the first `preselect` selected). */
export function fillModels(select, models, { label = (m) => `${m.name} (${m.activation})`, preselect = models.length } = {}) {
  select.replaceChildren(...models.map((m, i) => new Option(label(m), m.id, i < preselect, i < preselect)));
  select.size = Math.min(6, Math.max(3, models.length));
}

/** The datasets of GET /api/datasets as options; one the server cannot read is shown but disabled. */
export function fillDatasets(select, datasets) {
  select.replaceChildren(...datasets.map((d) => {
    const o = new Option(d.available ? d.id : `${d.id} (not available)`, d.id);
    o.disabled = !d.available;
    return o;
  }));
}

/** "j0001-… · running · 3 / 10 UNIT · 30 % · phase · 2.1 RATE/s · about 4 s left" for a job snapshot. */
export function progressText(job, { unit, rateUnit, nothingToDo = null }) {
  const { done, total, rate, eta_seconds: eta, phase } = job.progress;
  const percent = progressPercent(job);
  const finished = FINAL_STATES.includes(job.state);
  const count = total === 0 && job.state === 'done' && nothingToDo ? nothingToDo : `${done} / ${total} ${unit}`;
  const parts = [`${job.id} · ${job.state}`, count, `${Math.floor(percent)} %`];
  if (phase && !finished) parts.push(phase);
  if (rate) parts.push(`${formatNumber(rate)} ${rateUnit}/s`);
  if (eta != null && !finished) parts.push(`about ${Math.ceil(eta)} s left`);
  return parts.join(' · ');
}

/** DELETE /api/jobs/{id}: the job as the server has it once cancelled (a running one stops at its next boundary). */
export async function cancelJob(job) {
  return (await api.del(`/api/jobs/${encodeURIComponent(job.id)}`)).job;
}

/** The job's progress in percent (100 for a finished job with nothing to do). */
export function progressPercent(job) {
  const { done, total } = job.progress;
  return total > 0 ? Math.min(100, (100 * done) / total) : job.state === 'done' ? 100 : 0;
}

function element(tag, attributes = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) {
    if (k === 'hidden') e.hidden = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

/**
 * The body of a spec form, appended to `form` after its title and description: models, dataset and
 * the fields' place, "More options", the no-fields note, the error box and the submit button; ids
 * `${prefix}-models`, `-dataset`, `-fields`, `-advanced-fields`, `-no-fields`, `-error`, `-submit`.
 */
export function buildFormBody(form, prefix, { submitLabel, noFieldsText }) {
  const models = element('select', { id: `${prefix}-models`, multiple: '', required: '' });
  form.append(
    element('div', { class: 'form-grid' },
      element('label', { class: 'models' }, 'Models ', element('small', { id: `${prefix}-models-cap` }), models),
      element('label', {}, 'Dataset ', element('select', { id: `${prefix}-dataset` })),
      element('div', { id: `${prefix}-fields`, class: 'contents' })),
    element('details', { class: 'advanced' }, element('summary', { text: 'More options' }),
      element('div', { id: `${prefix}-advanced-fields`, class: 'form-grid' })),
    element('p', { id: `${prefix}-no-fields`, class: 'muted', hidden: true, text: noFieldsText }),
    element('div', { id: `${prefix}-error`, class: 'form-error', role: 'alert', hidden: true }),
    element('div', { class: 'actions' }, element('button', { type: 'submit', id: `${prefix}-submit`, text: submitLabel })));
}

/** The inside of a job box: progress bar and Cancel, then the progress text (`${prefix}-progress`, `-cancel`, `-progress-text`). */
export function buildJobBox(box, prefix) {
  box.replaceChildren(
    element('div', { class: 'job-row' },
      element('progress', { id: `${prefix}-progress`, max: '100', value: '0' }),
      element('button', { type: 'button', id: `${prefix}-cancel`, class: 'danger', text: 'Cancel' })),
    element('div', { id: `${prefix}-progress-text`, class: 'muted' }));
}

/**
 * A form built from a spec's published fields that submits a job and follows it.
 * options: prefix (ids), endpoint (POST path), fields() (the published fields, read at init),
 * special (fields with a control of their own), isMain(name) (a field's control goes to the first
 * rows, else under "More options"), counted (text fields whose bounds count items, e.g. seeds: shown as
 * "2…100 seeds"), placeholders ({field: text}), unit and rateUnit (progress text),
 * submitLabel, noFieldsText, onStart(job), onDone(job) (a finished job's result is loaded there).
 */
export class SpecForm {
  constructor(options) {
    this.o = { special: new Set(['models', 'dataset']), counted: new Set(), placeholders: {}, onStart: () => {}, onDone: () => {}, ...options };
    const p = this.o.prefix;
    this.$ = (name) => document.getElementById(`${p}-${name}`);
    this.form = document.getElementById(`${p}-form`);
    this.box = document.getElementById(`${p}-job`);
    buildFormBody(this.form, p, this.o);
    buildJobBox(this.box, p);
    this.fields = [];
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    this.$('cancel').addEventListener('click', () => this.cancel());
  }

  /** Fills the form once the models, the datasets and the limits are known. */
  init(models, datasets) {
    this.fields = this.o.fields() || [];
    fillModels(this.$('models'), models);
    fillDatasets(this.$('dataset'), datasets);
    const modelsField = this.fields.find((f) => f.name === 'models');
    this.$('models-cap').textContent = modelsField?.maximum ? `at most ${modelsField.maximum}` : '';
    this.$('no-fields').hidden = this.fields.length > 0;
    this.buildControls();
  }

  /** One control per field: booleans as checkboxes, choices as selects, integers as number inputs with the spec's bounds, text otherwise. */
  buildControls() {
    const main = this.$('fields'), more = this.$('advanced-fields');
    main.replaceChildren();
    more.replaceChildren();
    for (const f of this.fields) {
      if (this.o.special.has(f.name)) continue;
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
        // No documented default and not required: the first entry leaves the field to the server.
        const choices = f.required || f.default != null ? f.allowed : [''].concat(f.allowed);
        control.replaceChildren(...choices.map((v) => new Option(v || 'server default', v, v === f.default, v === f.default)));
        label.append(name, control);
      } else {
        control = document.createElement('input');
        const integer = f.type === 'integer';
        control.type = integer ? 'number' : 'text';
        if (integer) control.step = '1';
        if (integer && f.minimum != null) control.min = String(f.minimum);
        if (integer && f.maximum != null) control.max = String(f.maximum);
        control.value = f.default ?? '';
        const needed = f.required || f.required_unless;
        control.placeholder = this.o.placeholders[f.name] ?? (needed ? 'required' : f.default == null ? 'server default' : '');
        const bounds = document.createElement('small');
        if (this.o.counted.has(f.name) && f.maximum != null) bounds.textContent = ` ${f.minimum ?? 1}…${f.maximum} ${name}`;
        else if (integer && f.maximum != null) bounds.textContent = ` ${f.minimum ?? ''}…${f.maximum}`;
        label.append(name, bounds, control);
      }
      control.id = `${this.o.prefix}-${f.name.replace(/_/g, '-')}`;
      control.dataset.field = f.name;
      control.dataset.type = f.type;
      (this.o.isMain(f.name) ? main : more).append(label);
    }
  }

  error(e) { showFormError(this.$('error'), e); }

  /**
   * The request: models, dataset and every field set to something other than its default (an empty or default
   * one takes the server's default: fields such as bn_batches are refused unless their mode asks for them).
   */
  body() {
    const body = { models: [...this.$('models').selectedOptions].map((o) => o.value) };
    if (this.$('dataset').value) body.dataset = this.$('dataset').value;
    const defaults = new Map(this.fields.map((f) => [f.name, f.default]));
    for (const control of this.form.querySelectorAll('[data-field]')) {
      const name = control.dataset.field, type = control.dataset.type, value = control.value.trim();
      const fallback = defaults.get(name);
      if (type === 'boolean') { if (control.checked !== (fallback === 'true')) body[name] = control.checked; }
      else if (value !== '' && value !== fallback) body[name] = type === 'integer' || type === 'number' ? Number(value) : value;
    }
    return body;
  }

  /** What the published fields refuse, said before sending; null when fine (the server checks everything anyway). */
  problem(body) {
    if (!body.models.length) return 'models: select at least one model';
    for (const f of this.fields) {
      const v = body[f.name];
      if (v === undefined) {
        const needed = f.required || (f.required_unless && body[f.required_unless] === undefined);
        if (needed && !this.o.special.has(f.name) && f.default == null) return `${f.name}: required (${f.description || 'see the API'})`;
        continue;
      }
      if (f.type === 'integer' && !Number.isInteger(v)) return `${f.name}: expected a whole number`;
      if (f.type === 'array' && f.maximum != null && v.length > f.maximum) return `${f.name}: at most ${f.maximum} on this server, ${v.length} selected`;
      if (f.type === 'integer' && f.maximum != null && v > f.maximum) return `${f.name}: at most ${f.maximum} on this server, got ${v}`;
      if (f.type === 'integer' && f.minimum != null && v < f.minimum) return `${f.name}: at least ${f.minimum}, got ${v}`;
    }
    return null;
  }

  async submit() {
    this.error(null);
    const body = this.body();
    const problem = this.problem(body);
    if (problem) { this.error(new ApiError(0, problem)); return; }
    const button = this.$('submit');
    button.disabled = true;
    try {
      const { job } = await api.post(this.o.endpoint, body);
      this.follow(job);
    } catch (e) {
      this.error(e);
    } finally {
      button.disabled = false;
    }
  }

  /** Shows a job and follows its events to its end. */
  follow(job) {
    if (this.source) this.source.close();
    this.box.hidden = false;
    this.o.onStart(job);
    this.updateProgress(job);
    if (FINAL_STATES.includes(job.state)) { this.finish(job); return; }
    const source = new EventSource(`/api/jobs/${encodeURIComponent(job.id)}/events`);
    this.source = source;
    source.addEventListener('progress', (e) => this.updateProgress(JSON.parse(e.data).job));
    for (const kind of FINAL_STATES) source.addEventListener(kind, (e) => { source.close(); this.finish(JSON.parse(e.data).job); });
  }

  updateProgress(job) {
    this.job = job;
    this.$('progress').value = progressPercent(job);
    this.$('progress-text').textContent = progressText(job, this.o);
    this.box.dataset.state = job.state;
    this.$('cancel').disabled = FINAL_STATES.includes(job.state);
  }

  async finish(job) {
    this.updateProgress(job);
    if (job.state === 'done') this.$('progress').value = 100;
    if (job.state === 'failed') this.error(new ApiError(0, `job ${job.id} failed`, job.error || ''));
    if (job.state !== 'done') return;
    try {
      await this.o.onDone(job);
    } catch (e) {
      this.error(e);
    }
  }

  async cancel() {
    if (!this.job) return;
    try { this.updateProgress(await cancelJob(this.job)); } catch (e) { this.error(e); }
  }
}
