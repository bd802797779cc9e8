// One colour scale shared by every panel on screen, so that equal colours
// mean equal loss across models (the point of comparing them side by side).

import { niceTicks } from './canvas.js';

const LOG_FLOOR = 1e-6; // losses are positive; guard log10 against a stray 0

function transform(v, log) { return log ? Math.log10(Math.max(v, LOG_FLOOR)) : v; }

/** [lo, hi] of the finite values in transformed units, or null when there are none. */
function extent(values, log) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    const t = transform(v, log);
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return Number.isFinite(lo) ? [lo, hi] : null;
}

export class ColourScale {
  /**
   * values: iterable of loss numbers (nulls skipped); log: log10 display; levels: contour count
   * (the caller clamps it to the server's range), or null for levels at round values (tickLevels);
   * bounds: [lo, hi] in transformed units, instead of the values' extent.
   */
  constructor(values, { log = false, levels = null, bounds = null, vmin = null, vmax = null, step = null, maxLevels = null } = {}) {
    this.log = log;
    this.levels = Number.isFinite(levels) ? Math.max(1, Math.round(levels)) : null;
    // step (Li et al.'s vlevel): levels vmin, vmin + step, … < vmax in loss units, as numpy.arange; wins over levels.
    this.step = Number.isFinite(step) && step > 0 ? step : null;
    this.maxLevels = maxLevels; // the server's cap on levels (GET /api/limits): a tiny step would draw forever
    let [lo, hi] = bounds || extent(values, log) || [0, 1];
    // vmin / vmax fixed by the user (a log scale cannot place vmin <= 0: the data's end stays).
    if (Number.isFinite(vmin) && (!log || vmin > 0)) lo = transform(vmin, log);
    if (Number.isFinite(vmax) && (!log || vmax > 0)) hi = transform(vmax, log);
    if (hi - lo < 1e-12) { hi = lo + 1; }
    this.lo = lo; // in transformed units
    this.hi = hi;
  }

  /** The step gives more levels than the server's cap (or no cap is known): levels fall back to the ticks. */
  get stepTooFine() {
    return this.step !== null && !(Number.isInteger(this.maxLevels) && (this.vmax - this.vmin) / this.step <= this.maxLevels);
  }

  forward(v) { return transform(v, this.log); }
  inverse(t) { return this.log ? 10 ** t : t; }
  get vmin() { return this.inverse(this.lo); }
  get vmax() { return this.inverse(this.hi); }

  /** Position of a loss value on the scale, 0..1 (clamped). */
  unit(v) { return Math.max(0, Math.min(1, (this.forward(v) - this.lo) / (this.hi - this.lo))); }

  /** Contour levels in transformed units, strictly inside (lo, hi). */
  levelValues() {
    if (this.step !== null) {
      const low = this.vmin, high = this.vmax, count = Math.ceil((high - low) / this.step - 1e-9);
      if (this.stepTooFine) return this.tickLevels();
      const out = [];
      for (let k = 0; k < count; k++) {
        const v = low + k * this.step;
        if (v < high - this.step * 1e-9 && (!this.log || v > 0)) out.push(transform(v, this.log));
      }
      return out;
    }
    if (this.levels === null) return this.tickLevels();
    const out = [];
    for (let k = 1; k <= this.levels; k++) out.push(this.lo + ((this.hi - this.lo) * k) / (this.levels + 1));
    return out;
  }

  /** Levels at round losses, as the colour bar is ticked: 1, 2, 5 per decade on a log scale (decades when many), nice steps on a linear one. */
  tickLevels() {
    const inside = (t) => t > this.lo + 1e-9 && t < this.hi - 1e-9;
    if (!this.log) return niceTicks(this.lo, this.hi, 12).filter(inside);
    const steps = this.hi - this.lo > 8 ? [1] : [1, 2, 5];
    const out = [];
    for (let d = Math.floor(this.lo); d <= Math.ceil(this.hi); d++) for (const m of steps) out.push(d + Math.log10(m));
    return out.filter(inside);
  }
}

/** A round step near raw: 1, 2, 2.5 or 5 times a power of ten. */
function niceStep(raw) {
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
}

/** [lo, hi] (transformed units) widened to round values: whole decades on a log scale, round steps on a linear one. */
export function roundOutward(lo, hi, log) {
  if (log) {
    const a = Math.floor(lo), b = Math.ceil(hi);
    return [a, b > a ? b : a + 1];
  }
  const step = niceStep((hi - lo || Math.abs(hi) || 1) / 4);
  const a = Math.floor(lo / step) * step, b = Math.ceil(hi / step) * step;
  return [a, b > a ? b : a + step];
}

/**
 * Colour-scale bounds for surfaces that are still filling in, so colours keep their meaning while
 * points arrive instead of shifting with every new extreme. A job computes the centre and the
 * corners first (coarse to fine), which on a loss landscape are near its lowest and highest losses;
 * the bounds are set from those first points and rounded outward (whole decades on a log scale,
 * round steps on a linear one), so later points nearly always fall inside. They never shrink: a
 * point outside widens them, again to round values.
 */
export class GrowingBounds {
  constructor(log) {
    this.log = log;
    this.range = null; // [lo, hi] in transformed units
  }

  /** Takes in loss values (nulls skipped); returns the bounds, null until a finite value came. */
  include(values) {
    const seen = extent(values, this.log);
    if (!seen) return this.range;
    if (this.range && seen[0] >= this.range[0] && seen[1] <= this.range[1]) return this.range;
    const lo = this.range ? Math.min(seen[0], this.range[0]) : seen[0];
    const hi = this.range ? Math.max(seen[1], this.range[1]) : seen[1];
    this.range = roundOutward(lo, hi, this.log);
    return this.range;
  }
}

/** Every loss value of the surfaces, flattened. */
export function* lossValues(surfaces) {
  for (const s of surfaces) for (const row of s.loss) for (const v of row) yield v;
}

export function formatNumber(v, digits = 3) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return Number(v.toPrecision(digits)).toString();
}
