// Per-seed strip plots of a seed study (GET /api/studies/{id}, the JSON that
// `landscape surface --seeds` writes): for curvature and for width, one column
// per model, one dot per seed, the mean as a bar across the column and the
// 95 % interval as a vertical line; hollow width dots are unbounded widths
// (lower bounds). Each paired comparison is written as the study's sentence.

import { prepare, drawAxes, FONT } from './canvas.js';
import { seriesColour } from './colormap.js';
import { formatNumber } from './scale.js';

const MEASURES = [
  { key: 'curvature', title: 'Curvature at the centre (lower is flatter)', yLabel: 'd²L/dα² at α = 0' },
  { key: 'width', title: 'Width at loss +{t}', yLabel: 'width (α units)' },
];

function span(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  if (!finite.length) return [0, 1];
  let lo = Math.min(...finite), hi = Math.max(...finite);
  if (!(hi > lo)) { lo -= Math.abs(lo) * 0.1 + 0.5; hi += Math.abs(hi) * 0.1 + 0.5; }
  const pad = (hi - lo) * 0.1;
  return [lo - pad, hi + pad];
}

/** One strip plot: a column per model, a dot per seed (spread across the column by seed order), mean and interval. */
export function drawStrips(canvas, study, measure) {
  const { ctx, width, height } = prepare(canvas);
  const models = study.models;
  const values = models.flatMap((m) => m.per_seed.map((s) => s[measure.key]));
  const estimates = models.map((m) => m[measure.key]).filter(Boolean);
  const yr = span(values.concat(estimates.flatMap((e) => [e.ci_low, e.ci_high])));
  const frame = { x: 64, y: 16, w: width - 64 - 14, h: height - 16 - 44 };
  const m = drawAxes(ctx, frame, [0.5, models.length + 0.5], yr, { xLabel: '', yLabel: measure.yLabel, grid: true, xTicks: false });
  let dots = 0;
  ctx.save();
  ctx.font = FONT;
  models.forEach((model, i) => {
    const centre = m.px(i + 1), column = frame.w / models.length;
    const colour = seriesColour(model.model.activation, i);
    const n = model.per_seed.length;
    model.per_seed.forEach((s, k) => {
      const v = s[measure.key];
      if (!Number.isFinite(v)) return;
      const x = centre - column * 0.25 + (n > 1 ? (column * 0.5 * k) / (n - 1) : column * 0.25);
      ctx.beginPath();
      ctx.arc(x, m.py(v), 3.5, 0, 2 * Math.PI);
      const hollow = measure.key === 'width' && !s.width_bounded;
      ctx.strokeStyle = colour;
      ctx.fillStyle = colour;
      ctx.globalAlpha = 0.75;
      if (hollow) ctx.stroke(); else ctx.fill();
      ctx.globalAlpha = 1;
      dots += 1;
    });
    const e = model[measure.key];
    if (e && Number.isFinite(e.mean)) {
      ctx.strokeStyle = '#1d232c';
      ctx.lineWidth = 2;
      if (Number.isFinite(e.ci_low) && Number.isFinite(e.ci_high)) {
        ctx.beginPath();
        ctx.moveTo(centre + column * 0.32, m.py(e.ci_low));
        ctx.lineTo(centre + column * 0.32, m.py(e.ci_high));
        for (const v of [e.ci_low, e.ci_high]) { ctx.moveTo(centre + column * 0.28, m.py(v)); ctx.lineTo(centre + column * 0.36, m.py(v)); }
        ctx.stroke();
      }
      ctx.beginPath();
      ctx.moveTo(centre - column * 0.3, m.py(e.mean));
      ctx.lineTo(centre + column * 0.36, m.py(e.mean));
      ctx.stroke();
      ctx.lineWidth = 1;
    }
    ctx.fillStyle = '#2d3440';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText(model.label, centre, frame.y + frame.h + 8);
  });
  ctx.restore();
  canvas.dataset.dots = String(dots);
  canvas.dataset.models = String(models.length);
}

function estimateText(e) {
  if (!e) return '—';
  let text = formatNumber(e.mean, 4);
  if (Number.isFinite(e.sd)) text += ` ± ${formatNumber(e.sd, 3)}`;
  if (Number.isFinite(e.ci_low) && Number.isFinite(e.ci_high)) text += ` [${formatNumber(e.ci_low, 4)}, ${formatNumber(e.ci_high, 4)}]`;
  return text;
}

/** Fills `container` (#seed-strips) with the strip plots, the per-model numbers and the sentences of `study` (null: a note). */
export function renderSeedStrips(container, study) {
  container.replaceChildren();
  if (!study) {
    const note = document.createElement('p');
    note.className = 'muted';
    note.textContent = 'Run a seed study above: its per-seed strip plots of widths and curvatures, and the paired '
      + 'comparison of the models, appear here.';
    container.append(note);
    return;
  }
  const percent = Math.round(study.confidence * 100);
  const title = document.createElement('h3');
  title.textContent = `Over ${study.seeds.length} seeds (${study.seeds.join(', ')}): ${study.dimensions}D, `
    + `${study.dataset.samples} images — dots: seeds; bar: mean; line: ${percent} % interval`;
  const panels = document.createElement('div');
  panels.className = 'panels';
  for (const measure of MEASURES) {
    const card = document.createElement('div');
    card.className = 'card';
    const h = document.createElement('h3');
    h.textContent = measure.title.replace('{t}', String(study.width_threshold))
      + (measure.key === 'width' && study.models.some((m) => m.unbounded_widths > 0) ? ' (hollow: unbounded, a lower bound)' : '');
    const canvas = document.createElement('canvas');
    canvas.className = 'spectrum-canvas strip-canvas';
    canvas.dataset.measure = measure.key;
    canvas.setAttribute('aria-label', `${measure.key} per seed and model`);
    card.append(h, canvas);
    panels.append(card);
  }
  const table = document.createElement('table');
  table.className = 'minima';
  table.innerHTML = `<thead><tr><th>model</th><th>curvature mean ± sd [${percent} % CI]</th>`
    + `<th>width mean ± sd [${percent} % CI]</th></tr></thead>`;
  const body = document.createElement('tbody');
  for (const m of study.models) {
    const tr = document.createElement('tr');
    for (const c of [m.label, estimateText(m.curvature), estimateText(m.width)]) {
      const td = document.createElement('td'); td.textContent = c; tr.append(td);
    }
    body.append(tr);
  }
  table.append(body);
  const sentences = document.createElement('div');
  sentences.className = 'study-sentences';
  for (const c of study.comparisons) {
    const p = document.createElement('p');
    p.className = 'study-sentence';
    p.textContent = c.sentence;
    sentences.append(p);
  }
  container.append(title, panels, table, sentences);
  // Canvases take their size from the layout: draw once they are in the page.
  for (const canvas of panels.querySelectorAll('canvas')) {
    drawStrips(canvas, study, MEASURES.find((m) => m.key === canvas.dataset.measure));
  }
}
