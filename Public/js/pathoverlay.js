// The training path of a surface in its PCA plane (the surface JSON's `path`),
// drawn over a panel as the server's pictures draw it (LandscapeRender's
// PathOverlay): a dark line on a white halo, a small marker per snapshot, the
// start a green square, the end a red disc, a few whole epochs labelled.

import { FONT } from './canvas.js';

const LINE = 'rgb(20,20,20)';
const START = 'rgb(26,158,51)'; // PathOverlay.startColor
const END = 'rgb(230,13,13)'; // PathOverlay.endColor
export const MAX_LABELS = 6; // Surface.pathLabelCount: the shipped paths' 6 epochs all fit
export const MARKER_PICK_PX = 7; // how near (CSS px) the mouse must be to read a marker

/** The path's snapshots (at least 2 with finite coordinates), or null for a surface without one. */
export function pathOf(surface) {
  const p = surface.path;
  if (!p || !Array.isArray(p.points)) return null;
  const points = p.points.filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y));
  return points.length >= 2 ? points : null;
}

/** "PC1, 81.3 %" and "PC2, 9.2 %" from the path, else the plain α and β. */
export function axisLabels(surface) {
  const labels = surface.path && surface.path.axis_labels;
  return Array.isArray(labels) && labels.length === 2 ? labels : ['α', 'β'];
}

/** The loss and accuracy a snapshot reads: test figures when evaluated, else the training loss. */
export function snapshotFigures(q) {
  if (q.test_loss != null) return { loss: q.test_loss, accuracy: q.test_accuracy ?? null, kind: 'test' };
  return { loss: q.train_loss ?? null, accuracy: null, kind: 'train' };
}

/** Indices of snapshots at a whole epoch > 0, at most `maximum`, evenly spread, first and last kept (as the PNG). */
export function epochLabelIndices(points, maximum = MAX_LABELS) {
  const whole = points.map((q, i) => (Number.isFinite(q.epoch) && q.epoch > 0 && q.epoch === Math.round(q.epoch) ? i : -1)).filter((i) => i >= 0);
  if (!whole.length || maximum <= 0) return [];
  if (whole.length <= maximum) return whole;
  const chosen = new Set();
  for (let k = 0; k < maximum; k++) chosen.add(whole[Math.round((k * (whole.length - 1)) / Math.max(maximum - 1, 1))]);
  return [...chosen].sort((a, b) => a - b);
}

/**
 * Draws the path through `positions` ([{x, y}] in CSS px, one per point), clipped to `clip` {x, y, w, h}
 * (null: no clip). Labels that would overlap one already placed are skipped, the end's first.
 */
export function drawPath(ctx, points, positions, clip = null) {
  ctx.save();
  if (clip) { ctx.beginPath(); ctx.rect(clip.x, clip.y, clip.w, clip.h); ctx.clip(); }
  const line = (colour, width) => {
    ctx.strokeStyle = colour; ctx.lineWidth = width; ctx.lineJoin = 'round'; ctx.lineCap = 'round';
    ctx.beginPath();
    positions.forEach((p, i) => (i ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
    ctx.stroke();
  };
  line('rgba(255,255,255,0.85)', 3.6);
  line(LINE, 1.6);
  ctx.lineWidth = 1;
  for (const p of positions.slice(1, -1)) {
    ctx.beginPath(); ctx.arc(p.x, p.y, 2.4, 0, 2 * Math.PI);
    ctx.fillStyle = '#fff'; ctx.fill(); ctx.strokeStyle = LINE; ctx.stroke();
  }
  ctx.lineWidth = 1.5; ctx.strokeStyle = '#fff';
  const s = positions[0], e = positions[positions.length - 1];
  ctx.beginPath(); ctx.rect(s.x - 5, s.y - 5, 10, 10); ctx.fillStyle = START; ctx.fill(); ctx.stroke();
  ctx.beginPath(); ctx.arc(e.x, e.y, 5.5, 0, 2 * Math.PI); ctx.fillStyle = END; ctx.fill(); ctx.stroke();
  ctx.font = FONT; ctx.textAlign = 'left'; ctx.textBaseline = 'middle';
  const indices = epochLabelIndices(points);
  const placed = [];
  for (const i of indices.slice(-1).concat(indices.slice(0, -1))) {
    const text = `epoch ${points[i].epoch}`, p = positions[i];
    const box = { x: p.x + 6, y: p.y - 16, w: ctx.measureText(text).width + 6, h: 16 };
    if (placed.some((b) => b.x < box.x + box.w && box.x < b.x + b.w && b.y < box.y + box.h && box.y < b.y + b.h)) continue;
    placed.push(box);
    ctx.fillStyle = 'rgba(255,255,255,0.8)'; ctx.fillRect(box.x, box.y, box.w, box.h);
    ctx.fillStyle = '#0d0d0d'; ctx.fillText(text, p.x + 8, p.y - 8);
  }
  ctx.restore();
}

/** Index of the marker nearest (x, y) within maxDistance CSS px, or -1. */
export function markerAt(positions, x, y, maxDistance = MARKER_PICK_PX) {
  let best = -1, bestD = maxDistance * maxDistance;
  positions.forEach((p, i) => {
    const d = (p.x - x) ** 2 + (p.y - y) ** 2;
    if (d <= bestD) { bestD = d; best = i; } // ties go to the later snapshot: the end sits on top
  });
  return best;
}
