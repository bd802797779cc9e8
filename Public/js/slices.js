// 1D slices through a clicked point: loss (solid, left axis) and accuracy
// (dashed, right axis) along α at fixed β, and along β at fixed α, for every
// panel on screen, so the models can be compared on one plot.

import { drawLinePlot } from './lineplot.js';
import { seriesColour } from './colormap.js';
import { surfaceName } from './surfacename.js';

function nearest(arr, v) {
  let best = 0;
  arr.forEach((a, i) => { if (Math.abs(a - v) < Math.abs(arr[best] - v)) best = i; });
  return best;
}

/** surfaces: Surface JSON objects; point: {alpha, beta}; log: draw loss on a log axis. */
export function drawSlices(xCanvas, yCanvas, surfaces, point, log = false) {
  const tf = (v) => (v === null ? null : log ? Math.log10(Math.max(v, 1e-6)) : v);
  const xSeries = [], ySeries = [];
  surfaces.forEach((s, k) => {
    const colour = seriesColour(s.model.activation, k);
    const name = surfaceName(s);
    const two = Array.isArray(s.y) && s.loss.length > 1;
    const r = two ? nearest(s.y, point.beta) : 0;
    xSeries.push({ x: s.x, y: s.loss[r].map(tf), colour, label: name });
    xSeries.push({ x: s.x, y: s.accuracy[r], colour, dash: [5, 4], right: true });
    if (two) {
      const c = nearest(s.x, point.alpha);
      ySeries.push({ x: s.y, y: s.loss.map((row) => tf(row[c])), colour, label: name });
      ySeries.push({ x: s.y, y: s.accuracy.map((row) => row[c]), colour, dash: [5, 4], right: true });
    }
  });
  const yLabel = log ? 'log₁₀ loss' : 'loss';
  const fmt = (v) => (v === null || v === undefined ? '—' : Number(v.toFixed(3)).toString());
  drawLinePlot(xCanvas, { title: `x-slice: loss and accuracy along α at β = ${fmt(point.beta)}`, xLabel: 'α', yLabel,
    y2Label: 'accuracy', series: xSeries, vlines: [point.alpha], legend: true });
  if (ySeries.length) {
    drawLinePlot(yCanvas, { title: `y-slice: loss and accuracy along β at α = ${fmt(point.alpha)}`, xLabel: 'β', yLabel,
      y2Label: 'accuracy', series: ySeries, vlines: [point.beta], legend: true });
  }
}
