// Filled heatmap of a surface: bilinear interpolation between grid points
// where all four neighbours are computed, nearest point otherwise, hatching
// where even the nearest point is still null.

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

/** Hatches the cells around null points (for the contour view, which has no fill). */
export function hatchMissing(ctx, surface, frame) {
  const rows = surface.loss.length, cols = surface.loss[0].length;
  const cw = frame.w / Math.max(1, cols - 1), ch = frame.h / Math.max(1, rows - 1);
  ctx.save();
  ctx.fillStyle = hatchPattern(ctx);
  ctx.beginPath();
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (surface.loss[r][c] !== null) continue;
      const x = frame.x + c * cw - cw / 2, y = frame.y + frame.h - r * ch - ch / 2;
      ctx.rect(Math.max(frame.x, x), Math.max(frame.y, y), cw, ch);
    }
  }
  ctx.clip();
  ctx.fillRect(frame.x, frame.y, frame.w, frame.h);
  ctx.restore();
}
