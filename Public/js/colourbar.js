// Horizontal colour bar for the shared scale, ticked in loss units (decades
// and their 2× / 5× steps on a log scale).

import { prepare, FONT, niceTicks, tickLabel } from './canvas.js';
import { viridisCss } from './colormap.js';

export function drawColourbar(canvas, scale) {
  const { ctx, width, height } = prepare(canvas);
  const x0 = 16, x1 = width - 16, y0 = 4, h = 12; // margins fit half of an end label such as "1000"
  const grad = ctx.createLinearGradient(x0, 0, x1, 0);
  for (let k = 0; k <= 20; k++) grad.addColorStop(k / 20, viridisCss(k / 20));
  ctx.fillStyle = grad;
  ctx.fillRect(x0, y0, x1 - x0, h);
  ctx.strokeStyle = '#aab2bf';
  ctx.strokeRect(x0 + 0.5, y0 + 0.5, x1 - x0 - 1, h - 1);
  const pos = (t) => x0 + ((t - scale.lo) / (scale.hi - scale.lo)) * (x1 - x0);
  let ticks;
  if (scale.log) {
    // 2× and 5× steps only while labels have room (about 34 px each); decades alone otherwise.
    const steps = (scale.hi - scale.lo) * 3 > (x1 - x0) / 34 ? [1] : [1, 2, 5];
    ticks = [];
    for (let d = Math.floor(scale.lo); d <= Math.ceil(scale.hi); d++) {
      for (const m of steps) { const t = d + Math.log10(m); if (t >= scale.lo - 1e-9 && t <= scale.hi + 1e-9) ticks.push(t); }
    }
  } else {
    ticks = niceTicks(scale.lo, scale.hi, Math.max(2, Math.floor((x1 - x0) / 70)));
  }
  ctx.font = FONT;
  ctx.fillStyle = '#3a4250';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of ticks) {
    const x = pos(t);
    ctx.fillRect(x - 0.5, y0 + h, 1, 3);
    ctx.fillText(tickLabel(scale.inverse(t)), x, y0 + h + 4);
  }
  return height;
}
