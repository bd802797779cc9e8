// The seed-study part of the Sharpness tab: POST /api/studies (a job on the
// same queue as surfaces and Hessian runs). The form is built from the
// request's fields in GET /api/limits (study_fields: SeedStudySpec's own
// fields, then the surface's; the page holds no copy), progress comes from the
// job's SSE stream with Cancel (DELETE /api/jobs/{id}), and the finished study
// (GET /api/studies/{id}) is drawn by seedstrips.js in #seed-strips.

import { api } from './api.js';
import { studyFields } from './limits.js';
import { renderSeedStrips } from './seedstrips.js';
import { SpecForm } from './specform.js';

// The first controls: what a study is about; the rest under "More options".
const MAIN = new Set(['seeds', 'width_threshold', 'x', 'y', 'samples']);

export class SeedStudies {
  constructor() {
    this.$ = (id) => document.getElementById(id);
    this.study = null;
    this.form = new SpecForm({
      prefix: 'ss', endpoint: '/api/studies', fields: studyFields, isMain: (name) => MAIN.has(name),
      placeholders: { seeds: 'e.g. 0:9 or 0,3,7' }, counted: new Set(['seeds']), unit: 'grid points over all seeds', rateUnit: 'points',
      submitLabel: 'Run seed study',
      noFieldsText: 'This server publishes no seed study fields (GET /api/limits): it does not run seed studies.',
      onDone: async (job) => {
        if (!job.study_id) return;
        this.show(await api.get(`/api/studies/${encodeURIComponent(job.study_id)}`));
      },
    });
    renderSeedStrips(this.$('seed-strips'), null);
  }

  /** Fills the form once the models, the datasets and the limits are known (the Sharpness tab loads them). */
  init(models, datasets) {
    this.form.init(models, datasets);
    this.$('ss-submit').disabled = this.form.fields.length === 0;
  }

  /** Shows a study (a finished job's, or one shipped with the models) in the strip plots. */
  show(study, { shipped = false } = {}) {
    this.study = study;
    this.shipped = shipped;
    this.render();
  }

  /** Draws the study (canvases need the tab visible: called again when the tab is shown). */
  render() {
    if (!this.study || this.$('section-sharpness').hidden) return;
    const container = this.$('seed-strips');
    renderSeedStrips(container, this.study);
    container.dataset.shipped = String(this.shipped);
    if (this.shipped) {
      const note = document.createElement('p');
      note.className = 'muted shipped-note';
      note.textContent = `Shipped with the models: study ${this.study.id} (run one above to replace it here).`;
      container.prepend(note);
    }
  }
}
