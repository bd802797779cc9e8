// 3D view: orthographic projection of the loss mesh, rotated by azimuth and
// elevation, quads drawn far to near (painter's algorithm). Heights are the
// position on the shared colour scale, so panels stay comparable.

import { viridis, viridisCss } from './colormap.js';
import { FONT } from './canvas.js';

export const DEFAULT_VIEW = { azimuth: -0.9, elevation: 0.75 };
const HEIGHT = 0.6; // mesh height relative to the half-width of its base
const LIGHT = normalise([-0.4, -0.5, 0.77]); // from the upper left, in world coordinates

function normalise(v) { const n = Math.hypot(...v) || 1; return v.map((x) => x / n); }

/** Projects (u, v, w) with u, v in [-1, 1] and w in [0, 1]; returns [screen x, screen up, depth toward viewer]. */
function project(u, v, w, view) {
  const ca = Math.cos(view.azimuth), sa = Math.sin(view.azimuth);
  const ce = Math.cos(view.elevation), se = Math.sin(view.elevation);
  const x = u * ca - v * sa;
  const y = u * sa + v * ca;
  const z = (w - 0.5) * 2 * HEIGHT;
  return [x, y * se + z * ce, -y * ce + z * se];
}

/** Draws the mesh into frame; returns the projected vertices [{x, y, r, c}] for hover picking. */
export function drawMesh(ctx, surface, scale, frame, view) {
  const rows = surface.loss.length, cols = surface.loss[0].length;
  const cx = frame.x + frame.w / 2, cy = frame.y + frame.h / 2 + frame.h * 0.04;
  const size = Math.min(frame.w, frame.h) * 0.36;
  const verts = [];
  // zmax (h52vtp.py's, the server's 3D option): losses above it are clipped to it and it becomes the top
  // of the box; colours stay on the shared scale.
  const zmax = Number.isFinite(view.zmax) && (!scale.log || view.zmax > 0) ? view.zmax : null;
  const top = zmax === null ? 1 : Math.max(scale.unit(zmax), 1e-6);
  const unitAt = (r, c) => { const v = surface.loss[r][c]; return v === null ? null : scale.unit(zmax === null ? v : Math.min(v, zmax)); };
  const heightOf = (t) => Math.min(t / top, 1);
  const coord = (i, n) => (n === 1 ? 0 : (i / (n - 1)) * 2 - 1);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const t = unitAt(r, c);
      const [sx, sy, depth] = project(coord(c, cols), coord(r, rows), t === null ? 0 : heightOf(t), view);
      verts.push({ x: cx + sx * size, y: cy - sy * size, depth, t, r, c, u: coord(c, cols), v: coord(r, rows) });
    }
  }
  // Screen position of a point (alpha, beta) of the plane on the mesh (the training path): its height
  // interpolated bilinearly from the computed grid points around it (a uniform grid, as the mesh assumes).
  verts.place = (alpha, beta) => {
    const at = (arr, v) => (arr.length === 1 ? 0 : Math.max(0, Math.min(arr.length - 1, ((v - arr[0]) / (arr[arr.length - 1] - arr[0])) * (arr.length - 1))));
    const fc = at(surface.x, alpha), fr = at(surface.y, beta);
    const c0 = Math.min(Math.floor(fc), cols - 1), r0 = Math.min(Math.floor(fr), rows - 1);
    let sum = 0, weight = 0;
    for (const [r, c] of [[r0, c0], [r0, c0 + 1], [r0 + 1, c0], [r0 + 1, c0 + 1]]) {
      if (r >= rows || c >= cols) continue;
      const t = unitAt(r, c), w = (1 - Math.abs(fr - r)) * (1 - Math.abs(fc - c));
      if (t !== null && w > 0) { sum += heightOf(t) * w; weight += w; }
    }
    const [sx, sy] = project(coord(fc, cols), coord(fr, rows), weight > 0 ? sum / weight : 0, view);
    return { x: cx + sx * size, y: cy - sy * size };
  };
  // Base square and axis labels first, so the mesh covers them.
  ctx.save();
  ctx.font = FONT;
  const corner = (u, v) => { const [sx, sy] = project(u, v, 0, view); return [cx + sx * size, cy - sy * size]; };
  ctx.strokeStyle = '#c5cbd4';
  ctx.fillStyle = '#f3f5f8';
  ctx.beginPath();
  [[-1, -1], [1, -1], [1, 1], [-1, 1]].forEach(([u, v], i) => { const [x, y] = corner(u, v); i ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
  ctx.closePath(); ctx.fill(); ctx.stroke();
  ctx.fillStyle = '#2d3440';
  ctx.textAlign = 'center';
  const [ax, ay] = corner(1.25, 0);
  const [bx, by] = corner(0, 1.25);
  const [xLabel, yLabel] = view.labels || ['α', 'β']; // a PCA plane's "PC1, 81.3 %"
  ctx.fillText(xLabel, ax, ay); ctx.fillText(yLabel, bx, by);
  const quads = [];
  for (let r = 0; r + 1 < rows; r++) {
    for (let c = 0; c + 1 < cols; c++) {
      const q = [verts[r * cols + c], verts[r * cols + c + 1], verts[(r + 1) * cols + c + 1], verts[(r + 1) * cols + c]];
      if (q.some((p) => p.t === null)) continue;
      // Lambert shading from the quad's normal (diagonals' cross product) gives the eye a shape cue.
      const h = (p) => (heightOf(p.t) - 0.5) * 2 * HEIGHT;
      const d1 = [q[2].u - q[0].u, q[2].v - q[0].v, h(q[2]) - h(q[0])], d2 = [q[3].u - q[1].u, q[3].v - q[1].v, h(q[3]) - h(q[1])];
      const n = normalise([d1[1] * d2[2] - d1[2] * d2[1], d1[2] * d2[0] - d1[0] * d2[2], d1[0] * d2[1] - d1[1] * d2[0]]);
      const light = 0.62 + 0.38 * Math.abs(n[0] * LIGHT[0] + n[1] * LIGHT[1] + n[2] * LIGHT[2]);
      quads.push({ q, light, depth: (q[0].depth + q[1].depth + q[2].depth + q[3].depth) / 4, t: (q[0].t + q[1].t + q[2].t + q[3].t) / 4 });
    }
  }
  quads.sort((a, b) => a.depth - b.depth);
  const dense = cols > 30;
  ctx.lineWidth = dense ? 0.35 : 0.6;
  ctx.strokeStyle = 'rgba(20,24,32,0.35)';
  for (const { q, t, light } of quads) {
    ctx.beginPath();
    ctx.moveTo(q[0].x, q[0].y);
    for (let k = 1; k < 4; k++) ctx.lineTo(q[k].x, q[k].y);
    ctx.closePath();
    const [r, g, b] = viridis(t);
    ctx.fillStyle = `rgb(${r * light},${g * light},${b * light})`;
    ctx.fill();
    ctx.stroke();
  }
  // Computed points with no complete quad around them still show as dots.
  if (quads.length === 0) {
    for (const p of verts) if (p.t !== null) { ctx.fillStyle = viridisCss(p.t); ctx.fillRect(p.x - 2, p.y - 2, 4, 4); }
  }
  ctx.restore();
  return verts;
}

/** Nearest computed vertex to (x, y) within maxDistance CSS px. */
export function pickVertex(verts, x, y, maxDistance = 24) {
  let best = null, bestD = maxDistance * maxDistance;
  for (const p of verts) {
    if (p.t === null) continue;
    const d = (p.x - x) ** 2 + (p.y - y) ** 2;
    if (d < bestD) { bestD = d; best = p; }
  }
  return best;
}
