// The Sharpness tab: Hessian spectra of trained models (POST /api/hessian, a
// job on the same queue as surfaces). The form is built from the request's
// fields in GET /api/limits (hessian_fields: type, default, bounds; the page
// holds no copy) by specform.js, which also follows the job's SSE stream with
// Cancel (DELETE /api/jobs/{id}). A run (GET /api/hessian/{id}) is drawn: top
// eigenvalues side by side, trace ± s.e. per model, densities on one log axis,
// and a table of the numbers with each model's eigenvectors to download. The
// tab opens with the spectra shipped with the models (GET /api/hessian lists
// them under `shipped`), without any job. Below, seed studies (seedstudy.js:
// POST /api/studies, the same queue; a shipped study shown likewise) and their
// per-seed strip plots (seedstrips.js).

import { api } from './api.js';
import { loadModels } from './store.js';
import { hessianFields, loadServerSettings } from './limits.js';
import { formatNumber } from './scale.js';
import { drawEigenvalues, drawTrace, drawDensities } from './spectrumplots.js';
import { SeedStudies } from './seedstudy.js';
import { SpecForm, showFormError } from './specform.js';

const ADVANCED = new Set(['split', 'subset', 'subset_seed', 'negative', 'density_runs', 'density_steps', 'lanczos_steps', 'seed']);

export class Sharpness {
  constructor(state, showError) {
    this.state = state;
    this.showError = showError;
    this.$ = (id) => document.getElementById(id);
    this.result = null;
    this.form = new SpecForm({
      prefix: 'hs', endpoint: '/api/hessian', fields: hessianFields, isMain: (name) => !ADVANCED.has(name),
      unit: 'Hessian-vector products', rateUnit: 'products', submitLabel: 'Compute spectra',
      noFieldsText: 'This server publishes no Hessian request fields (GET /api/limits): only the models are sent, the server\u2019s defaults apply.',
      onStart: () => { this.$('hs-results').hidden = true; },
      onDone: async (job) => { if (job.hessian_id) this.show(await api.get(`/api/hessian/${encodeURIComponent(job.hessian_id)}`)); },
    });
    this.studies = new SeedStudies();
  }

  async init() {
    try {
      const [models, datasets] = await Promise.all([loadModels(), api.get('/api/datasets'), loadServerSettings()]);
      this.form.init(models, datasets.datasets);
      this.studies.init(models, datasets.datasets);
    } catch (e) {
      this.form.error(e);
    }
    await this.showShipped();
  }

  /** The spectra and the study shipped with the models (the newest of each), shown before any job. */
  async showShipped() {
    try {
      const [runs, studies] = await Promise.all([api.get('/api/hessian'), api.get('/api/studies')]);
      const run = (runs.shipped || []).at(-1), study = (studies.shipped || []).at(-1);
      if (run && !this.result) this.show(await api.get(`/api/hessian/${encodeURIComponent(run.id)}`));
      if (study && !this.studies.study) this.studies.show(await api.get(`/api/studies/${encodeURIComponent(study.id)}`), { shipped: true });
    } catch (e) {
      showFormError(this.$('hs-error'), e);
    }
  }

  /** Shows a run (a finished job's or a shipped one). */
  show(result) {
    this.result = result;
    this.render();
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
      const vectors = document.createElement('td');
      if (s.top_eigenvectors) {
        const a = document.createElement('a');
        a.href = `/api/hessian/${encodeURIComponent(this.result.run.id)}/${encodeURIComponent(s.model.name)}.eigenvectors.safetensors`;
        a.textContent = 'safetensors';
        a.className = 'eigenvectors-link';
        a.title = `top eigenvectors of ${s.model.name} (tensors named as in the model, eigenvector<i>.<name>)`;
        a.setAttribute('download', '');
        vectors.append(a);
      } else {
        vectors.textContent = '—';
      }
      tr.append(vectors);
      return tr;
    });
    this.$('hs-table').replaceChildren(...rows);
    const run = this.result.run;
    const what = this.result.shipped ? `shipped with the models (${run.id})` : `run ${run.id}`;
    this.$('hs-run-text').textContent = `${what} · ${run.samples} images of ${run.dataset} · seed ${run.seed}`;
    this.$('hs-results').dataset.shipped = String(Boolean(this.result.shipped));
  }
}
