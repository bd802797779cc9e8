// One surface on screen: a card with the model's key numbers and a canvas
// that draws the surface as contour lines, a filled heatmap or a 3D mesh
// (or a line plot for a 1D surface). The drawing is cached in an offscreen
// canvas so hover overlays do not redraw the surface.

import { FONT, drawAxes, mapper, prepare } from './canvas.js';
import { DIVERGED_FILL, drawDiverged, drawHeatmap, hatchMissing, isDiverged } from './heatmap.js';
import { drawContours } from './contour.js';
import { drawMesh, pickVertex } from './mesh3d.js';
import { drawLinePlot } from './lineplot.js';
import { formatNumber } from './scale.js';
import { seriesColour } from './colormap.js';
import { modelInfo } from './store.js';
import { downloadMenu } from './download.js';
import { surfaceName } from './surfacename.js';
import { axisLabels, drawPath, markerAt, pathOf } from './pathoverlay.js';

const MARGIN = { left: 48, right: 12, top: 10, bottom: 36 };
const DRAG_THRESHOLD = 4; // px of mouse travel before a press counts as a rotation, not a click

function el(tag, attrs = {}, text = '') {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

export class SurfacePanel {
  /** handlers: {onHover(panel, info|null), onSelect(alpha, beta), onRotate(dAzimuth, dElevation)} */
  constructor(surface, handlers) {
    this.surface = surface;
    this.handlers = handlers;
    this.hover = null; // {alpha, beta} shown as a crosshair, shared across panels
    this.selected = null;
    this.element = el('article', { class: 'panel', 'data-surface-id': surface.id });
    const head = el('header');
    const title = el('h3', {}, surfaceName(surface));
    const act = surface.model.activation || '';
    const pill = el('span', { class: `pill act-${act}` }, act);
    this.downloads = downloadMenu('Download', { twoDimensional: this.twoDimensional,
      hasDirections: Boolean(surface.directions && surface.directions.file) });
    this.downloads.setAttribute('aria-label', `download ${surfaceName(surface)}: this view as a picture, or the surface's data`);
    head.append(title, pill, this.downloads);
    const grid = this.twoDimensional ? `${surface.x.length} × ${surface.y.length} grid` : `${surface.x.length} points along α`;
    this.pathPoints = this.twoDimensional ? pathOf(surface) : null; // the training path in a PCA plane
    const pathKeys = this.pathPoints ? `, [ and ] step along the training path (${this.pathPoints.length} snapshots)` : '';
    this.canvas = el('canvas', { class: 'surface-canvas', tabindex: '0',
      'aria-label': `loss surface of ${surfaceName(surface)}, ${grid}: arrow keys move a cursor and read its values${pathKeys}, Enter selects the point` });
    this.stats = el('dl', { class: 'stats' });
    this.element.append(head, this.canvas, this.stats);
    this.base = document.createElement('canvas');
    this.cursor = null; // {r, c}: the keyboard's grid point while the canvas has focus
    this.pathCursor = null; // index of the snapshot [ and ] moved the cursor to
    this.pathPositions = null; // CSS px of each snapshot's marker in the current drawing
    this.bindMouse();
    this.bindKeys();
  }

  /**
   * The tooltip beside marker `tip.index` of the training path ({index, html, kind: 'start' | 'end' | 'snapshot'}),
   * or none (null): hovering a marker reads its snapshot where the mouse is, as well as in the readout.
   */
  showPathTip(tip) {
    if (!tip || !this.pathPositions || !this.pathPositions[tip.index]) { if (this.tip) this.tip.hidden = true; return; }
    if (!this.tip) {
      this.tip = el('div', { class: 'path-tip', role: 'tooltip' });
      this.element.append(this.tip);
    }
    const p = this.pathPositions[tip.index];
    this.tip.className = `path-tip ${tip.kind}`;
    this.tip.innerHTML = tip.html;
    this.tip.hidden = false;
    // Below right of the marker, flipped left / up where it would leave the panel.
    const x = this.canvas.offsetLeft + p.x, y = this.canvas.offsetTop + p.y;
    const w = this.tip.offsetWidth, h = this.tip.offsetHeight;
    const left = x + 12 + w > this.element.clientWidth ? x - 12 - w : x + 12;
    const top = y + 12 + h > this.element.clientHeight ? y - 12 - h : y + 12;
    this.tip.style.left = `${Math.max(0, left)}px`;
    this.tip.style.top = `${Math.max(0, top)}px`;
  }

  get twoDimensional() { return Array.isArray(this.surface.y) && this.surface.loss.length > 1; }

  /** Records one SSE `point` event in the grid. */
  applyPoint(p) {
    const cols = this.surface.x.length;
    const r = Math.floor(p.index / cols), c = p.index % cols;
    if (!this.surface.loss[r]) return;
    this.surface.loss[r][c] = p.loss;
    this.surface.accuracy[r][c] = p.accuracy;
    if (this.surface.loss_stderr) this.surface.loss_stderr[r][c] = p.loss_stderr;
    if (p.diverged) {
      if (!this.surface.diverged) this.surface.diverged = this.surface.loss.map((row) => row.map(() => false));
      this.surface.diverged[r][c] = true;
    }
  }

  /** Redraws the cached surface image with the shared scale and settings {kind, view: {azimuth, elevation, zmax}, log, labels}. */
  render(scale, settings) {
    this.scale = scale;
    this.settings = settings;
    const { ctx, width, height, dpr } = prepare(this.canvas);
    this.size = { width, height, dpr };
    this.base.width = this.canvas.width;
    this.base.height = this.canvas.height;
    const bctx = this.base.getContext('2d');
    bctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    bctx.fillStyle = '#fff';
    bctx.fillRect(0, 0, width, height);
    this.frame = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
    const s = this.surface;
    this.verts = null;
    this.pathPositions = null;
    delete this.canvas.dataset.pathMarkers;
    if (!this.twoDimensional) {
      this.renderLine(bctx, width, height);
    } else if (settings.kind === '3d') {
      this.verts = drawMesh(bctx, s, scale, { x: 0, y: 0, w: width, h: height }, { ...settings.view, labels: axisLabels(s) });
      bctx.font = FONT; bctx.fillStyle = '#5b6472'; bctx.textAlign = 'left';
      bctx.fillText('drag to rotate', 8, height - 8);
      if (this.pathPoints) this.pathPositions = this.pathPoints.map((q) => this.verts.place(q.x, q.y));
    } else {
      const xr = [s.x[0], s.x[s.x.length - 1]], yr = [s.y[0], s.y[s.y.length - 1]];
      if (settings.kind === 'heatmap') {
        drawHeatmap(bctx, s, scale, this.frame, dpr);
        drawContours(bctx, s, scale, this.frame, { colour: 'rgba(255,255,255,0.45)', width: 0.8 });
      } else {
        hatchMissing(bctx, s, this.frame);
        drawContours(bctx, s, scale, this.frame, { width: 1.3, labels: settings.labels });
      }
      drawDiverged(bctx, s, this.frame);
      const [xLabel, yLabel] = axisLabels(s);
      drawAxes(bctx, this.frame, xr, yr, { xLabel, yLabel, grid: false });
      this.map = mapper(this.frame, xr, yr);
      if (this.pathPoints) this.pathPositions = this.pathPoints.map((q) => ({ x: this.map.px(q.x), y: this.map.py(q.y) }));
    }
    if (this.pathPositions) {
      drawPath(bctx, this.pathPoints, this.pathPositions, settings.kind === '3d' ? null : this.frame);
      // What the overlay drew, for tests and tools: the markers' CSS px positions in snapshot order.
      this.canvas.dataset.pathMarkers = JSON.stringify(this.pathPositions.map((p) => [Math.round(p.x * 10) / 10, Math.round(p.y * 10) / 10]));
    }
    this.updateStats();
    this.compose(ctx);
  }

  renderLine(ctx, width, height) {
    const s = this.surface, colour = seriesColour(s.model.activation);
    const out = drawLinePlot({ ctx, width, height }, {
      xLabel: 'α', yLabel: 'loss', y2Label: 'accuracy',
      series: [{ x: s.x, y: s.loss[0], colour, label: 'loss' },
        { x: s.x, y: s.accuracy[0], colour, dash: [5, 4], right: true, label: 'accuracy' }],
      yRange: this.settings.log ? undefined : [this.scale.vmin, this.scale.vmax], legend: true,
    });
    this.frame = out.frame;
    this.map = out.map;
    // A diverged point has no loss to plot: a dark cross at the top of the frame marks where it is.
    ctx.save();
    ctx.strokeStyle = DIVERGED_FILL;
    ctx.lineWidth = 2;
    s.x.forEach((x, c) => {
      if (!isDiverged(s, 0, c)) return;
      const px = this.map.px(x), py = this.frame.y + 8;
      ctx.beginPath(); ctx.moveTo(px - 4, py - 4); ctx.lineTo(px + 4, py + 4); ctx.moveTo(px + 4, py - 4); ctx.lineTo(px - 4, py + 4); ctx.stroke();
    });
    ctx.restore();
  }

  /** Copies the cached image and draws the hover crosshair and the selected point. */
  compose(ctx = null) {
    if (!this.size) return;
    if (!ctx) {
      ctx = this.canvas.getContext('2d');
      ctx.setTransform(this.size.dpr, 0, 0, this.size.dpr, 0, 0);
    }
    ctx.clearRect(0, 0, this.size.width, this.size.height);
    ctx.drawImage(this.base, 0, 0, this.size.width, this.size.height);
    const mark = (pt, colour, full) => {
      const pos = this.position(pt.alpha, pt.beta);
      if (!pos) return;
      ctx.save();
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.2;
      if (full && this.settings.kind !== '3d' && this.twoDimensional) {
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(this.frame.x, pos.y); ctx.lineTo(this.frame.x + this.frame.w, pos.y);
        ctx.moveTo(pos.x, this.frame.y); ctx.lineTo(pos.x, this.frame.y + this.frame.h);
        ctx.stroke();
      } else if (full && !this.twoDimensional) {
        ctx.beginPath(); ctx.moveTo(pos.x, this.frame.y); ctx.lineTo(pos.x, this.frame.y + this.frame.h); ctx.stroke();
      }
      ctx.setLineDash([]);
      ctx.fillStyle = colour;
      ctx.beginPath(); ctx.arc(pos.x, pos.y, full ? 3.5 : 5, 0, 2 * Math.PI);
      full ? ctx.fill() : ctx.stroke();
      ctx.restore();
    };
    if (this.selected) mark(this.selected, '#ff3b6b', false);
    if (this.hover) mark(this.hover, 'rgba(20,20,20,0.8)', true);
  }

  /** Canvas position of grid coordinates (nearest grid point in 3D). */
  position(alpha, beta) {
    if (this.verts) {
      const { r, c } = this.nearestIndex(alpha, beta);
      const v = this.verts[r * this.surface.x.length + c];
      return v && v.t !== null ? v : null;
    }
    if (!this.map) return null;
    if (!this.twoDimensional) {
      const { c } = this.nearestIndex(alpha, 0);
      const v = this.surface.loss[0][c];
      return { x: this.map.px(alpha), y: v === null ? this.frame.y + this.frame.h : this.map.py(Math.min(Math.max(v, this.map.vy(this.frame.y + this.frame.h)), this.map.vy(this.frame.y))) };
    }
    return { x: this.map.px(alpha), y: this.map.py(beta) };
  }

  nearestIndex(alpha, beta) {
    const near = (arr, v) => arr.reduce((best, a, i) => (Math.abs(a - v) < Math.abs(arr[best] - v) ? i : best), 0);
    return { c: near(this.surface.x, alpha), r: this.twoDimensional ? near(this.surface.y, beta) : 0 };
  }

  /** Grid point under the mouse: {alpha, beta, r, c, loss, accuracy, stderr, diverged} or null. */
  pointAt(x, y) {
    const s = this.surface;
    if (this.pathPositions) {
      const i = markerAt(this.pathPositions, x, y);
      if (i >= 0) return this.pathInfo(i);
    }
    let r, c;
    if (this.verts) {
      const v = pickVertex(this.verts, x, y);
      if (!v) return null;
      ({ r, c } = v);
    } else {
      if (!this.map || x < this.frame.x || x > this.frame.x + this.frame.w || y < this.frame.y || y > this.frame.y + this.frame.h) return null;
      ({ r, c } = this.nearestIndex(this.map.vx(x), this.twoDimensional ? this.map.vy(y) : 0));
    }
    return this.infoAt(r, c);
  }

  /** What the readouts show for grid point (r, c). */
  infoAt(r, c) {
    const s = this.surface;
    return { surface: s, alpha: s.x[c], beta: this.twoDimensional ? s.y[r] : null, r, c,
      loss: s.loss[r][c], accuracy: s.accuracy[r][c], stderr: s.loss_stderr ? s.loss_stderr[r][c] : null,
      diverged: isDiverged(s, r, c) };
  }

  /** The readout of snapshot i of the path: its coordinates, the grid point nearest them, and the snapshot itself. */
  pathInfo(i) {
    const q = this.pathPoints[i];
    const { r, c } = this.nearestIndex(q.x, q.y);
    return { ...this.infoAt(r, c), alpha: q.x, beta: q.y, path: { index: i, total: this.pathPoints.length, point: q } };
  }

  /** The last snapshot whose nearest grid point is (r, c), or -1: the keyboard cursor reads it there. */
  markerOnCell(r, c) {
    if (!this.pathPoints) return -1;
    let found = -1;
    this.pathPoints.forEach((q, i) => { const n = this.nearestIndex(q.x, q.y); if (n.r === r && n.c === c) found = i; });
    return found;
  }

  bindMouse() {
    let press = null;
    const local = (e) => { const b = this.canvas.getBoundingClientRect(); return [e.clientX - b.left, e.clientY - b.top]; };
    this.canvas.addEventListener('mousedown', (e) => { press = { x: e.clientX, y: e.clientY, moved: false }; this.pointerFocus = true; });
    window.addEventListener('mouseup', () => { setTimeout(() => { press = null; }, 0); });
    this.canvas.addEventListener('mousemove', (e) => {
      if (press && (e.buttons & 1) && this.settings && this.settings.kind === '3d' && this.twoDimensional) {
        const dx = e.clientX - press.x, dy = e.clientY - press.y;
        if (press.moved || Math.hypot(dx, dy) > DRAG_THRESHOLD) {
          press.moved = true;
          press.x = e.clientX; press.y = e.clientY;
          this.handlers.onRotate(dx * 0.01, dy * 0.01);
          return;
        }
      }
      const [x, y] = local(e);
      this.handlers.onHover(this, this.pointAt(x, y));
    });
    this.canvas.addEventListener('mouseleave', () => this.handlers.onHover(this, null));
    this.canvas.addEventListener('click', (e) => {
      if (press && press.moved) return;
      const [x, y] = local(e);
      const p = this.pointAt(x, y);
      if (p) this.handlers.onSelect(p.alpha, p.beta ?? 0);
    });
  }

  /** Arrow keys move a cursor over the grid (Shift: 5 points at a time), Enter or Space selects it, Escape leaves it. */
  bindKeys() {
    const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [1, 0], ArrowDown: [-1, 0] };
    this.canvas.addEventListener('focus', () => {
      // A mouse press focuses the canvas too; the mouse then drives the readout, not the cursor.
      if (!this.pointerFocus) this.moveCursor(0, 0);
      this.pointerFocus = false;
    });
    this.canvas.addEventListener('blur', () => { this.pathCursor = null; if (this.cursor) { this.cursor = null; this.handlers.onHover(this, null); } });
    this.canvas.addEventListener('keydown', (e) => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      if (moves[e.key]) {
        const step = e.shiftKey ? 5 : 1;
        this.moveCursor(moves[e.key][0] * step, moves[e.key][1] * step);
      } else if ((e.key === ']' || e.key === '[') && this.pathPoints) {
        const n = this.pathPoints.length, forward = e.key === ']';
        this.pathCursor = this.pathCursor === null ? (forward ? 0 : n - 1) : Math.max(0, Math.min(n - 1, this.pathCursor + (forward ? 1 : -1)));
        const info = this.pathInfo(this.pathCursor);
        this.cursor = { r: info.r, c: info.c };
        this.handlers.onHover(this, info);
      } else if ((e.key === 'Enter' || e.key === ' ') && this.cursor) {
        const info = this.infoAt(this.cursor.r, this.cursor.c);
        this.handlers.onSelect(info.alpha, info.beta ?? 0);
      } else if (e.key === 'Escape' && this.cursor) {
        this.cursor = null;
        this.pathCursor = null;
        this.handlers.onHover(this, null);
      } else {
        return;
      }
      e.preventDefault(); // arrows and space would scroll the page
    });
  }

  /** Moves the keyboard cursor by (dr, dc) grid points, up = +β; it starts at the selected point, else the centre. */
  moveCursor(dr, dc) {
    if (!this.cursor) {
      const start = this.selected || { alpha: 0, beta: 0 };
      this.cursor = this.nearestIndex(start.alpha, start.beta);
    }
    const clamp = (v, n) => Math.max(0, Math.min(n - 1, v));
    this.cursor = { r: clamp(this.cursor.r + dr, this.surface.loss.length), c: clamp(this.cursor.c + dc, this.surface.x.length) };
    this.pathCursor = null;
    const marker = this.markerOnCell(this.cursor.r, this.cursor.c);
    const info = this.infoAt(this.cursor.r, this.cursor.c);
    // On a snapshot's cell the readout names the snapshot too (at the grid point's α, β).
    this.handlers.onHover(this, marker >= 0 ? { ...info, path: this.pathInfo(marker).path } : info);
  }

  updateStats() {
    const s = this.surface;
    let computed = 0, total = 0, min = Infinity;
    s.loss.forEach((row, r) => row.forEach((v, c) => {
      total++;
      if (v !== null) { computed++; min = Math.min(min, v); } else if (isDiverged(s, r, c)) computed++;
    }));
    const { c, r } = this.nearestIndex(0, 0);
    const centre = s.loss[r][c];
    // The surface records the accuracy it was made with; the model card fills in when it is missing.
    const card = modelInfo(s.model.name)?.card;
    const acc = s.model.test_accuracy ?? card?.metrics?.test_accuracy ?? null;
    const rows = [
      ['test acc', acc == null ? '—' : `${(acc * 100).toFixed(2)} %`],
      ['centre loss', centre === null && isDiverged(s, r, c) ? 'diverged' : formatNumber(centre)],
      ['min loss', formatNumber(computed ? min : null)],
      [computed < total ? 'computed' : 'points', computed < total ? `${computed} / ${total}` : String(total)],
    ];
    this.stats.replaceChildren(...rows.map(([k, v]) => {
      const d = el('div'); d.append(el('dt', {}, k), el('dd', {}, v)); return d;
    }));
    // The server draws exactly this view (kind, scale, levels, rotation, zmax) as PNG, SVG or PDF.
    if (this.settings) this.downloads.update([s.id], this.settings, this.scale);
  }
}
