// A small line-plot widget on canvas: left axis, optional right axis, series
// that break at nulls, vertical marker lines and labelled point markers
// whose labels are laid out so they do not overlap.

import { prepare, drawAxes, mapper, FONT } from './canvas.js';

// robust: ignore the top and bottom 0.5 % (a kink's second derivative is a spike that would flatten the rest).
function range(seriesList, pad = 0.06, robust = false) {
  let lo = Infinity, hi = -Infinity;
  for (const s of seriesList) {
    let ys = s.y.filter((v) => v !== null && Number.isFinite(v));
    if (robust && ys.length > 20) {
      ys = [...ys].sort((a, b) => a - b);
      const k = Math.floor(ys.length * 0.005);
      ys = ys.slice(k, ys.length - k);
    }
    for (const v of ys) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

/**
 * opts: {title, xLabel, yLabel, y2Label, series: [{x, y, colour, dash, right, label}], vlines: [x],
 *        markers: [{x, y, colour, label}], legend: bool, yRange, y2Range}
 * Returns {frame, map} for hit testing and labels: the marker labels' boxes [{text, x, y, w, h}].
 */
export function drawLinePlot(target, opts) {
  // target: a canvas, or {ctx, width, height} already prepared by the caller.
  const { ctx, width, height } = target instanceof HTMLCanvasElement ? prepare(target) : target;
  const left = opts.series.filter((s) => !s.right), right = opts.series.filter((s) => s.right);
  const hasRight = right.length > 0;
  const frame = { x: 52, y: opts.title ? 24 : 10, w: width - 52 - (hasRight ? 52 : 14), h: 0 };
  frame.h = height - frame.y - 40;
  const allX = opts.series.flatMap((s) => s.x);
  const xr = opts.xRange || [Math.min(...allX), Math.max(...allX)];
  if (xr[1] - xr[0] < 1e-12) { xr[0] -= 1; xr[1] += 1; }
  const yr = opts.yRange || range(left, 0.06, opts.robust);
  const yr2 = hasRight ? opts.y2Range || range(right) : null;
  ctx.fillStyle = '#fff';
  ctx.fillRect(frame.x, frame.y, frame.w, frame.h);
  const map = drawAxes(ctx, frame, xr, yr, { xLabel: opts.xLabel, yLabel: opts.yLabel, yr2, y2Label: opts.y2Label });
  const map2 = hasRight ? mapper(frame, xr, yr2) : null;
  if (opts.title) {
    ctx.font = '600 12px system-ui, sans-serif';
    ctx.fillStyle = '#1f2530';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(opts.title, frame.x, 5);
  }
  ctx.save();
  ctx.beginPath();
  ctx.rect(frame.x, frame.y, frame.w, frame.h);
  ctx.clip();
  for (const x of opts.vlines || []) {
    ctx.strokeStyle = 'rgba(31,37,48,0.35)';
    ctx.setLineDash([3, 3]);
    ctx.beginPath(); ctx.moveTo(map.px(x), frame.y); ctx.lineTo(map.px(x), frame.y + frame.h); ctx.stroke();
  }
  for (const s of opts.series) {
    const m = s.right ? map2 : map;
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = s.width || 1.8;
    ctx.setLineDash(s.dash || []);
    ctx.beginPath();
    let pen = false;
    s.x.forEach((x, i) => {
      const y = s.y[i];
      if (y === null || !Number.isFinite(y)) { pen = false; return; }
      if (pen) ctx.lineTo(m.px(x), m.py(y)); else ctx.moveTo(m.px(x), m.py(y));
      pen = true;
    });
    ctx.stroke();
  }
  ctx.setLineDash([]);
  const markers = opts.markers || [];
  for (const mk of markers) {
    ctx.fillStyle = mk.colour;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.arc(map.px(mk.x), map.py(mk.y), 4.5, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
  }
  const legendSeries = opts.legend ? opts.series.filter((s) => s.label) : [];
  ctx.font = FONT;
  const legend = legendBox(ctx, frame, legendSeries);
  const labels = layoutLabels(ctx, markers.filter((mk) => mk.label), map, frame, legend ? [legend] : []);
  drawLabels(ctx, labels);
  ctx.restore();
  if (legend) drawLegend(ctx, legend, legendSeries);
  return { frame, map, labels };
}

const LABEL_H = 14; // px per label line

function intersects(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/**
 * Boxes {text, x, y, w, h, px, py, colour} for marker labels: above and to the right of the marker
 * (left of it near the right edge), moved a line at a time up or down, nearest first, until the box
 * overlaps no other label, no obstacle (the legend) and stays in the frame. Minima of similar
 * activations sit close together, so a fixed offset per label still collided.
 */
function layoutLabels(ctx, markers, map, frame, obstacles) {
  const placed = [];
  for (const mk of markers) {
    const px = map.px(mk.x), py = map.py(mk.y);
    const w = ctx.measureText(mk.label).width + 4, h = LABEL_H;
    const x = px + 7 + w > frame.x + frame.w ? px - 7 - w : px + 7;
    const y0 = py - 6 - h;
    const inFrame = (b) => b.y >= frame.y && b.y + b.h <= frame.y + frame.h;
    const free = (b) => inFrame(b) && !placed.some((p) => intersects(p, b)) && !obstacles.some((o) => intersects(o, b));
    let box = null;
    for (let k = 0; k <= 2 * Math.ceil(frame.h / h) && !box; k++) {
      const lines = k % 2 ? -Math.ceil(k / 2) : k / 2; // 0, -1, +1, -2, +2, ... (up first)
      const candidate = { x, y: y0 + lines * h, w, h };
      if (free(candidate)) box = candidate;
    }
    placed.push({ text: mk.label, ...(box || { x, y: y0, w, h }), px, py, colour: mk.colour });
  }
  return placed;
}

/** Labels in dark ink on a white halo; a leader line in the marker's colour when a label had to move away. */
function drawLabels(ctx, labels) {
  ctx.save();
  ctx.font = FONT;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (const b of labels) {
    const cy = b.y + b.h / 2;
    if (Math.abs(cy - b.py) > b.h * 1.2) {
      const ex = b.x > b.px ? b.x : b.x + b.w;
      ctx.strokeStyle = b.colour; ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(b.px, b.py); ctx.lineTo(ex, cy); ctx.stroke();
    }
    ctx.strokeStyle = 'rgba(255,255,255,0.9)'; ctx.lineWidth = 3; ctx.lineJoin = 'round';
    ctx.strokeText(b.text, b.x + 2, cy);
    ctx.fillStyle = '#1f2530';
    ctx.fillText(b.text, b.x + 2, cy);
  }
  ctx.restore();
}

/** Where the legend goes (top right of the frame), or null without entries; ctx.font must be FONT. */
function legendBox(ctx, frame, series) {
  if (!series.length) return null;
  const w = Math.max(...series.map((s) => ctx.measureText(s.label).width)) + 34;
  return { x: frame.x + frame.w - w - 6, y: frame.y + 6, w, h: series.length * 15 + 6 };
}

function drawLegend(ctx, box, series) {
  ctx.save();
  ctx.font = FONT;
  const lineH = 15;
  const { x, y, w } = box;
  ctx.fillStyle = 'rgba(255,255,255,0.88)';
  ctx.fillRect(x, y, w, series.length * lineH + 6);
  series.forEach((s, i) => {
    const ly = y + 3 + i * lineH + lineH / 2;
    ctx.strokeStyle = s.colour; ctx.lineWidth = 2; ctx.setLineDash(s.dash || []);
    ctx.beginPath(); ctx.moveTo(x + 6, ly); ctx.lineTo(x + 24, ly); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#1f2530'; ctx.textAlign = 'left'; ctx.textBaseline = 'middle';
    ctx.fillText(s.label, x + 28, ly);
  });
  ctx.restore();
}
