// Filled heatmap of a surface: bilinear interpolation between grid points
// where all four neighbours are computed, nearest point otherwise, hatching
// where even the nearest point is still null; diverged points as dark cells.

import { viridis } from './colormap.js';
import { hatchPattern } from './canvas.js';

/** Value at fractional grid position (fc, fr), or null. */
export function sample(loss, fc, fr) {
  const rows = loss.length, cols = loss[0].length;
  const c0 = Math.max(0, Math.min(cols - 1, Math.floor(fc)));
  const r0 = Math.max(0, Math.min(rows - 1, Math.floor(fr)));
  const c1 = Math.min(cols - 1, c0 + 1), r1 = Math.min(rows - 1, r0 + 1);
  const a = loss[r0][c0], b = loss[r0][c1], c = loss[r1][c0], d = loss[r1][c1];
  if (a !== null && b !== null && c !== null && d !== null) {
    const tc = Math.max(0, Math.min(1, fc - c0)), tr = Math.max(0, Math.min(1, fr - r0));
    return (a * (1 - tc) + b * tc) * (1 - tr) + (c * (1 - tc) + d * tc) * tr;
  }
  const rn = Math.max(0, Math.min(rows - 1, Math.round(fr)));
  const cn = Math.max(0, Math.min(cols - 1, Math.round(fc)));
  return loss[rn][cn];
}

/** Paints the surface into frame {x, y, w, h} (CSS px) of ctx; dpr sets the pixel density. */
export function drawHeatmap(ctx, surface, scale, frame, dpr = 1) {
  const w = Math.max(1, Math.round(frame.w * dpr)), h = Math.max(1, Math.round(frame.h * dpr));
  const rows = surface.loss.length, cols = surface.loss[0].length;
  const off = document.createElement('canvas');
  off.width = w; off.height = h;
  const octx = off.getContext('2d');
  const image = octx.createImageData(w, h);
  const px = image.data;
  // Transform once per grid point, not per pixel.
  const t = surface.loss.map((row) => row.map((v) => (v === null ? null : scale.forward(v))));
  const span = scale.hi - scale.lo;
  for (let j = 0; j < h; j++) {
    const fr = rows === 1 ? 0 : ((h - 1 - j) / (h - 1)) * (rows - 1); // row 0 at the bottom (β = start)
    for (let i = 0; i < w; i++) {
      const fc = cols === 1 ? 0 : (i / (w - 1)) * (cols - 1);
      const v = sample(t, fc, fr);
      const k = (j * w + i) * 4;
      if (v === null) { px[k + 3] = 0; continue; }
      const [r, g, b] = viridis((v - scale.lo) / span);
      px[k] = r; px[k + 1] = g; px[k + 2] = b; px[k + 3] = 255;
    }
  }
  octx.putImageData(image, 0, 0);
  ctx.save();
  ctx.fillStyle = hatchPattern(ctx);
  ctx.fillRect(frame.x, frame.y, frame.w, frame.h);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, frame.x, frame.y, frame.w, frame.h);
  ctx.restore();
}

export const DIVERGED_FILL = '#16181d';
const DIVERGED_CROSS = '#c9ced6';

export function isDiverged(surface, r, c) {
  return Boolean(surface.diverged && surface.diverged[r] && surface.diverged[r][c]);
}

/** The cell of grid point (r, c): centred on it, one grid step wide, cut to the frame. */
function cell(surface, frame, r, c) {
  const rows = surface.loss.length, cols = surface.loss[0].length;
  const cw = frame.w / Math.max(1, cols - 1), ch = frame.h / Math.max(1, rows - 1);
  const x0 = Math.max(frame.x, frame.x + c * cw - cw / 2), x1 = Math.min(frame.x + frame.w, frame.x + c * cw + cw / 2);
  const y0 = Math.max(frame.y, frame.y + frame.h - r * ch - ch / 2), y1 = Math.min(frame.y + frame.h, frame.y + frame.h - r * ch + ch / 2);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** Hatches the cells around points not computed yet (for the contour view, which has no fill). */
export function hatchMissing(ctx, surface, frame) {
  const rows = surface.loss.length, cols = surface.loss[0].length;
  ctx.save();
  ctx.fillStyle = hatchPattern(ctx);
  ctx.beginPath();
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (surface.loss[r][c] !== null || isDiverged(surface, r, c)) continue;
      const b = cell(surface, frame, r, c);
      ctx.rect(b.x, b.y, b.w, b.h);
    }
  }
  ctx.clip();
  ctx.fillRect(frame.x, frame.y, frame.w, frame.h);
  ctx.restore();
}

/**
 * Diverged points (computed, but the loss was not a finite number) as near-black crossed cells:
 * darker than any viridis colour and unlike the light hatching of points not computed yet.
 */
export function drawDiverged(ctx, surface, frame) {
  if (!surface.diverged) return;
  const rows = surface.loss.length, cols = surface.loss[0].length;
  ctx.save();
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (!isDiverged(surface, r, c)) continue;
      const b = cell(surface, frame, r, c);
      ctx.fillStyle = DIVERGED_FILL;
      ctx.fillRect(b.x, b.y, b.w, b.h);
      if (b.w < 5 || b.h < 5) continue; // too small for a cross to read
      const inset = Math.min(b.w, b.h) * 0.22;
      ctx.strokeStyle = DIVERGED_CROSS;
      ctx.lineWidth = 1.2;
      ctx.beginPath();
      ctx.moveTo(b.x + inset, b.y + inset); ctx.lineTo(b.x + b.w - inset, b.y + b.h - inset);
      ctx.moveTo(b.x + b.w - inset, b.y + inset); ctx.lineTo(b.x + inset, b.y + b.h - inset);
      ctx.stroke();
    }
  }
  ctx.restore();
}
