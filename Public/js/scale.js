// One colour scale shared by every panel on screen, so that equal colours
// mean equal loss across models (the point of comparing them side by side).

const LOG_FLOOR = 1e-6; // losses are positive; guard log10 against a stray 0

export class ColourScale {
  /** values: iterable of loss numbers (nulls skipped); log: log10 display; levels: contour count. */
  constructor(values, { log = false, levels = 20 } = {}) {
    this.log = log;
    this.levels = Math.max(2, Math.min(100, levels | 0));
    let lo = Infinity, hi = -Infinity;
    for (const v of values) {
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      const t = this.forward(v);
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    if (!Number.isFinite(lo)) { lo = 0; hi = 1; }
    if (hi - lo < 1e-12) { hi = lo + 1; }
    this.lo = lo; // in transformed units
    this.hi = hi;
  }

  forward(v) { return this.log ? Math.log10(Math.max(v, LOG_FLOOR)) : v; }
  inverse(t) { return this.log ? 10 ** t : t; }
  get vmin() { return this.inverse(this.lo); }
  get vmax() { return this.inverse(this.hi); }

  /** Position of a loss value on the scale, 0..1 (clamped). */
  unit(v) { return Math.max(0, Math.min(1, (this.forward(v) - this.lo) / (this.hi - this.lo))); }

  /** Contour levels in transformed units, strictly inside (lo, hi). */
  levelValues() {
    const out = [];
    for (let k = 1; k <= this.levels; k++) out.push(this.lo + ((this.hi - this.lo) * k) / (this.levels + 1));
    return out;
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
