// A small line-plot widget on canvas: left axis, optional right axis, series
// that break at nulls, vertical marker lines and labelled point markers.

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
 * Returns {frame, map} for hit testing.
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
  (opts.markers || []).forEach((mk, i) => {
    ctx.fillStyle = mk.colour;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.arc(map.px(mk.x), map.py(mk.y), 4.5, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    if (mk.label) {
      ctx.font = FONT; ctx.fillStyle = '#1f2530'; ctx.textAlign = 'left'; ctx.textBaseline = 'top';
      ctx.textBaseline = 'bottom';
      ctx.fillText(mk.label, map.px(mk.x) + 6, map.py(mk.y) - 6 - 13 * i); // stacked so labels never overlap
    }
  });
  ctx.restore();
  if (opts.legend) drawLegend(ctx, frame, opts.series.filter((s) => s.label));
  return { frame, map };
}

function drawLegend(ctx, frame, series) {
  if (!series.length) return;
  ctx.save();
  ctx.font = FONT;
  const lineH = 15;
  const w = Math.max(...series.map((s) => ctx.measureText(s.label).width)) + 34;
  const x = frame.x + frame.w - w - 6, y = frame.y + 6;
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
