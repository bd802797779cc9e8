// Contour lines by marching squares on the (transformed) loss grid.
// Cells with a null corner are skipped; saddles are resolved with the
// cell-centre average (the usual asymptotic-decider shortcut).

import { viridisCss } from './colormap.js';
import { formatNumber } from './scale.js';

const LABEL_FONT = '10px system-ui, sans-serif';

// Edges: 0 bottom (a–b), 1 right (b–c), 2 top (d–c), 3 left (a–d); a = (c, r), b = (c+1, r), c = (c+1, r+1), d = (c, r+1).
const TABLE = { 1: [[3, 0]], 2: [[0, 1]], 3: [[3, 1]], 4: [[1, 2]], 6: [[0, 2]], 7: [[3, 2]], 8: [[2, 3]], 9: [[0, 2]],
  11: [[1, 2]], 12: [[1, 3]], 13: [[0, 1]], 14: [[3, 0]] };

function edgePoint(edge, c, r, a, b, cc, d, level) {
  const f = (u, v) => (v === u ? 0.5 : (level - u) / (v - u));
  switch (edge) {
    case 0: return [c + f(a, b), r];
    case 1: return [c + 1, r + f(b, cc)];
    case 2: return [c + f(d, cc), r + 1];
    default: return [c, r + f(a, d)];
  }
}

/** Segments [[c0, r0, c1, r1], ...] in fractional grid coordinates for one level. */
export function marchingSquares(grid, level) {
  const rows = grid.length, cols = grid[0].length, out = [];
  for (let r = 0; r + 1 < rows; r++) {
    for (let c = 0; c + 1 < cols; c++) {
      const a = grid[r][c], b = grid[r][c + 1], cc = grid[r + 1][c + 1], d = grid[r + 1][c];
      if (a === null || b === null || cc === null || d === null) continue;
      const code = (a > level) | ((b > level) << 1) | ((cc > level) << 2) | ((d > level) << 3);
      let pairs = TABLE[code];
      if (code === 5 || code === 10) {
        const centreAbove = (a + b + cc + d) / 4 > level;
        // Above-corners a, c (code 5) joined through the centre isolate b and d, and vice versa.
        pairs = (code === 5) === centreAbove ? [[0, 1], [2, 3]] : [[3, 0], [1, 2]];
      }
      if (!pairs) continue;
      for (const [e0, e1] of pairs) {
        const p = edgePoint(e0, c, r, a, b, cc, d, level), q = edgePoint(e1, c, r, a, b, cc, d, level);
        out.push([p[0], p[1], q[0], q[1]]);
      }
    }
  }
  return out;
}

/** Draws every level of the scale into frame; colour = level on viridis, or a fixed colour; labels: write each level's value on it. */
export function drawContours(ctx, surface, scale, frame, { colour = null, width = 1.2, alpha = 1, labels = false } = {}) {
  const grid = surface.loss.map((row) => row.map((v) => (v === null ? null : scale.forward(v))));
  const rows = grid.length, cols = grid[0].length;
  if (rows < 2 || cols < 2) return;
  const sx = frame.w / (cols - 1), sy = frame.h / (rows - 1);
  ctx.save();
  ctx.lineWidth = width;
  ctx.lineCap = 'round';
  const placed = [];
  for (const level of scale.levelValues()) {
    const segments = marchingSquares(grid, level);
    if (!segments.length) continue;
    ctx.strokeStyle = colour || viridisCss((level - scale.lo) / (scale.hi - scale.lo), alpha);
    ctx.beginPath();
    for (const [c0, r0, c1, r1] of segments) {
      ctx.moveTo(frame.x + c0 * sx, frame.y + frame.h - r0 * sy);
      ctx.lineTo(frame.x + c1 * sx, frame.y + frame.h - r1 * sy);
    }
    ctx.stroke();
    if (labels) labelLevel(ctx, segments, scale.inverse(level), frame, sx, sy, placed);
  }
  ctx.restore();
}

/**
 * Writes a level's value on one of its segments (clabel's inline labels): the first segment, from the
 * middle of the list outward, whose label box lies inside the frame and clear of labels already placed.
 */
function labelLevel(ctx, segments, value, frame, sx, sy, placed) {
  const text = formatNumber(value, 3);
  ctx.font = LABEL_FONT;
  const w = ctx.measureText(text).width + 4, h = 12;
  const middle = Math.floor(segments.length / 2);
  for (let k = 0; k < segments.length; k++) {
    const [c0, r0, c1, r1] = segments[(middle + k) % segments.length];
    const x = frame.x + ((c0 + c1) / 2) * sx, y = frame.y + frame.h - ((r0 + r1) / 2) * sy;
    const box = { x: x - w / 2, y: y - h / 2, w, h };
    if (box.x < frame.x || box.y < frame.y || box.x + w > frame.x + frame.w || box.y + h > frame.y + frame.h) continue;
    if (placed.some((b) => b.x < box.x + box.w + 2 && box.x < b.x + b.w + 2 && b.y < box.y + box.h + 2 && box.y < b.y + b.h + 2)) continue;
    placed.push(box);
    ctx.save();
    ctx.fillStyle = 'rgba(255,255,255,0.82)';
    ctx.fillRect(box.x, box.y, box.w, box.h);
    ctx.fillStyle = '#1f2630';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(text, x, y + 0.5);
    ctx.restore();
    return;
  }
}
