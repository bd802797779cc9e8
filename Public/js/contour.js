// Contour lines by marching squares on the (transformed) loss grid.
// Cells with a null corner are skipped; saddles are resolved with the
// cell-centre average (the usual asymptotic-decider shortcut).

import { viridisCss } from './colormap.js';

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

/** Draws every level of the scale into frame; colour = level on viridis, or a fixed colour. */
export function drawContours(ctx, surface, scale, frame, { colour = null, width = 1.2, alpha = 1 } = {}) {
  const grid = surface.loss.map((row) => row.map((v) => (v === null ? null : scale.forward(v))));
  const rows = grid.length, cols = grid[0].length;
  if (rows < 2 || cols < 2) return;
  const sx = frame.w / (cols - 1), sy = frame.h / (rows - 1);
  ctx.save();
  ctx.lineWidth = width;
  ctx.lineCap = 'round';
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
  }
  ctx.restore();
}
