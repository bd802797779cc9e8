// Canvas drawings of Hessian spectra (GET /api/hessian/{id}): the top
// eigenvalues of every model side by side, the trace ± one standard error per
// model, and the eigenvalue densities on one log axis.

import { prepare, drawAxes, FONT } from './canvas.js';
import { drawLinePlot } from './lineplot.js';
import { seriesColour } from './colormap.js';

/** The colour and legend of each spectrum: its model's activation colour, its model's name. */
export function spectrumStyles(spectra) {
  return spectra.map((s, i) => ({ colour: seriesColour(s.model.activation, i), label: s.model.name }));
}

function legend(ctx, styles, x, y) {
  ctx.save();
  ctx.font = FONT;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  let at = x;
  for (const s of styles) {
    ctx.fillStyle = s.colour;
    ctx.fillRect(at, y - 5, 10, 10);
    ctx.fillStyle = '#2d3440';
    ctx.fillText(s.label, at + 14, y);
    at += 24 + ctx.measureText(s.label).width;
  }
  ctx.restore();
}

function span(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  let lo = Math.min(0, ...finite), hi = Math.max(0, ...finite);
  if (!(hi > lo)) hi = lo + 1;
  const pad = (hi - lo) * 0.08;
  return [lo < 0 ? lo - pad : lo, hi + pad];
}

/** Grouped bars: one group per eigenvalue index (1 = largest), one bar per model. */
export function drawEigenvalues(canvas, spectra) {
  const { ctx, width, height } = prepare(canvas);
  const styles = spectrumStyles(spectra);
  const k = Math.max(0, ...spectra.map((s) => s.top_eigenvalues.length));
  const frame = { x: 58, y: 28, w: width - 58 - 14, h: height - 28 - 44 };
  const yr = span(spectra.flatMap((s) => s.top_eigenvalues));
  const m = drawAxes(ctx, frame, [0.5, k + 0.5], yr, { xLabel: 'eigenvalue rank (1 = largest)', yLabel: 'eigenvalue λ' });
  const groupWidth = frame.w / Math.max(k, 1) * 0.8, bar = groupWidth / Math.max(spectra.length, 1);
  spectra.forEach((s, j) => {
    ctx.fillStyle = styles[j].colour;
    s.top_eigenvalues.forEach((v, i) => {
      const x = m.px(i + 1) - groupWidth / 2 + j * bar;
      const y0 = m.py(0), y1 = m.py(v);
      ctx.fillRect(x + 1, Math.min(y0, y1), bar - 2, Math.abs(y1 - y0));
    });
  });
  legend(ctx, styles, frame.x, 12);
  canvas.dataset.bars = String(spectra.reduce((n, s) => n + s.top_eigenvalues.length, 0));
}

/** One point per model with a bar of ± one standard error (Hutchinson's estimate). */
export function drawTrace(canvas, spectra) {
  const { ctx, width, height } = prepare(canvas);
  const styles = spectrumStyles(spectra);
  const withTrace = spectra.map((s, i) => ({ s, i })).filter(({ s }) => Number.isFinite(s.trace));
  const frame = { x: 58, y: 28, w: width - 58 - 14, h: height - 28 - 44 };
  const ends = withTrace.flatMap(({ s }) => [s.trace - (s.trace_stderr || 0), s.trace + (s.trace_stderr || 0)]);
  const m = drawAxes(ctx, frame, [0.5, spectra.length + 0.5], span(ends), { xLabel: 'model', yLabel: 'trace of H ± s.e.', grid: true });
  for (const { s, i } of withTrace) {
    const x = m.px(i + 1), e = s.trace_stderr || 0;
    ctx.strokeStyle = styles[i].colour;
    ctx.fillStyle = styles[i].colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x, m.py(s.trace - e)); ctx.lineTo(x, m.py(s.trace + e));
    ctx.moveTo(x - 8, m.py(s.trace - e)); ctx.lineTo(x + 8, m.py(s.trace - e));
    ctx.moveTo(x - 8, m.py(s.trace + e)); ctx.lineTo(x + 8, m.py(s.trace + e));
    ctx.stroke();
    ctx.beginPath(); ctx.arc(x, m.py(s.trace), 5, 0, 2 * Math.PI); ctx.fill();
  }
  legend(ctx, styles, frame.x, 12);
  canvas.dataset.points = String(withTrace.length);
}

/** Smallest density drawn: the log axis needs a floor (the CLI's picture adds one too). */
const DENSITY_FLOOR = 1e-9;

/** Every model's density on one axis: eigenvalue against log₁₀(density). */
export function drawDensities(canvas, spectra) {
  const styles = spectrumStyles(spectra);
  const series = spectra.map((s, i) => (s.density ? {
    x: s.density.grid, y: s.density.density.map((v) => (Number.isFinite(v) ? Math.log10(Math.max(v, 0) + DENSITY_FLOOR) : null)),
    colour: styles[i].colour, label: styles[i].label,
  } : null)).filter(Boolean);
  if (!series.length) { prepare(canvas); return; }
  drawLinePlot(canvas, { title: 'eigenvalue density (stochastic Lanczos quadrature)', xLabel: 'eigenvalue λ',
    yLabel: 'log₁₀ density', series, legend: true });
  canvas.dataset.curves = String(series.length);
}
