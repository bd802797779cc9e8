// Canvas plumbing shared by every drawing: device-pixel sizing, the hatch
// pattern for points not computed yet, nice tick values and plot axes.

export const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
export const AXIS_COLOUR = '#5b6472';

/** Sizes the backing store to the CSS box times devicePixelRatio; returns a ctx in CSS pixels. */
export function prepare(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.width;
  const height = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height, dpr };
}

let hatchTile = null;
/** Diagonal grey hatching: "not yet computed". */
export function hatchPattern(ctx) {
  if (!hatchTile) {
    hatchTile = document.createElement('canvas');
    hatchTile.width = hatchTile.height = 8;
    const h = hatchTile.getContext('2d');
    h.fillStyle = '#eef0f3';
    h.fillRect(0, 0, 8, 8);
    h.strokeStyle = '#b9c0ca';
    h.lineWidth = 1.2;
    h.beginPath();
    h.moveTo(0, 8); h.lineTo(8, 0);
    h.moveTo(-2, 2); h.lineTo(2, -2);
    h.moveTo(6, 10); h.lineTo(10, 6);
    h.stroke();
  }
  return ctx.createPattern(hatchTile, 'repeat');
}

/** About n round tick values covering [lo, hi]. */
export function niceTicks(lo, hi, n = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

export function tickLabel(t) {
  return Math.abs(t) >= 1e4 || (Math.abs(t) < 1e-3 && t !== 0) ? t.toExponential(1) : String(Number(t.toPrecision(4)));
}

/** Linear map helpers for a plot frame {x, y, w, h} and data ranges. */
export function mapper(frame, xr, yr) {
  return {
    px: (v) => frame.x + ((v - xr[0]) / (xr[1] - xr[0])) * frame.w,
    py: (v) => frame.y + frame.h - ((v - yr[0]) / (yr[1] - yr[0])) * frame.h,
    vx: (p) => xr[0] + ((p - frame.x) / frame.w) * (xr[1] - xr[0]),
    vy: (p) => yr[0] + ((frame.y + frame.h - p) / frame.h) * (yr[1] - yr[0]),
  };
}

/** Frame border, ticks and labels. yr2 (optional) draws a right-hand axis. */
export function drawAxes(ctx, frame, xr, yr, { xLabel = '', yLabel = '', yr2 = null, y2Label = '', grid = true, xTicks = true } = {}) {
  const m = mapper(frame, xr, yr);
  ctx.save();
  ctx.font = FONT;
  ctx.fillStyle = AXIS_COLOUR;
  ctx.strokeStyle = 'rgba(91,100,114,0.14)';
  ctx.lineWidth = 1;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  // xTicks false: the caller labels the x axis itself (categories, such as the models of a strip plot).
  for (const t of xTicks ? niceTicks(xr[0], xr[1], Math.max(2, Math.floor(frame.w / 60))) : []) {
    const x = m.px(t);
    if (grid) { ctx.beginPath(); ctx.moveTo(x, frame.y); ctx.lineTo(x, frame.y + frame.h); ctx.stroke(); }
    ctx.fillText(tickLabel(t), x, frame.y + frame.h + 4);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of niceTicks(yr[0], yr[1], Math.max(2, Math.floor(frame.h / 45)))) {
    const y = m.py(t);
    if (grid) { ctx.beginPath(); ctx.moveTo(frame.x, y); ctx.lineTo(frame.x + frame.w, y); ctx.stroke(); }
    ctx.fillText(tickLabel(t), frame.x - 5, y);
  }
  if (yr2) {
    const m2 = mapper(frame, xr, yr2);
    ctx.textAlign = 'left';
    for (const t of niceTicks(yr2[0], yr2[1], Math.max(2, Math.floor(frame.h / 45)))) ctx.fillText(tickLabel(t), frame.x + frame.w + 5, m2.py(t));
  }
  ctx.strokeStyle = '#aab2bf';
  ctx.strokeRect(frame.x + 0.5, frame.y + 0.5, frame.w - 1, frame.h - 1);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.fillStyle = '#2d3440';
  if (xLabel) { ctx.font = xLabel.length > 2 ? FONT : '13px system-ui, sans-serif'; ctx.fillText(xLabel, frame.x + frame.w / 2, frame.y + frame.h + 34); ctx.font = FONT; }
  const side = (label, x, angle) => {
    // Single symbols (α, β) read better upright; words are rotated along the axis.
    ctx.save(); ctx.translate(x, frame.y + frame.h / 2); if (label.length > 2) ctx.rotate(angle);
    ctx.font = label.length > 2 ? FONT : '13px system-ui, sans-serif';
    ctx.fillText(label, label.length > 2 ? 0 : 4 * Math.sign(angle), label.length > 2 ? 0 : 6); ctx.restore();
  };
  if (yLabel) side(yLabel, frame.x - 34, -Math.PI / 2);
  if (y2Label) side(y2Label, frame.x + frame.w + 34, Math.PI / 2);
  ctx.restore();
  return m;
}
