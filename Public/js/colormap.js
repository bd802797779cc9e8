// Viridis (matplotlib), sampled at 11 evenly spaced anchors and interpolated
// linearly: close enough to the real 256-entry table for display.
const ANCHORS = [
  [68, 1, 84], [72, 36, 117], [65, 68, 135], [53, 95, 141], [42, 120, 142], [33, 145, 140],
  [34, 168, 132], [68, 191, 112], [122, 209, 81], [189, 223, 38], [253, 231, 37],
];

const LUT = new Uint8ClampedArray(256 * 3);
for (let i = 0; i < 256; i++) {
  const p = (i / 255) * (ANCHORS.length - 1);
  const k = Math.min(Math.floor(p), ANCHORS.length - 2);
  const f = p - k;
  for (let c = 0; c < 3; c++) LUT[i * 3 + c] = ANCHORS[k][c] * (1 - f) + ANCHORS[k + 1][c] * f;
}

/** RGB triple for t in [0, 1] (clamped). */
export function viridis(t) {
  const i = Math.round(Math.max(0, Math.min(1, t)) * 255) * 3;
  return [LUT[i], LUT[i + 1], LUT[i + 2]];
}

export function viridisCss(t, alpha = 1) {
  const [r, g, b] = viridis(t);
  return alpha === 1 ? `rgb(${r},${g},${b})` : `rgba(${r},${g},${b},${alpha})`;
}

/** Colours for lines of different models, keyed by activation. */
const ACTIVATION_COLOURS = { relu: '#e4572e', swish: '#2e86de', mish: '#17a673', gelu: '#8e44ad', elu: '#b7950b',
  leaky_relu: '#c0392b', softplus: '#16a085', tanh: '#7f8c8d', nish: '#d35400' };
const FALLBACK = ['#e4572e', '#2e86de', '#17a673', '#8e44ad', '#b7950b', '#16a085'];

export function seriesColour(activation, index = 0) {
  return ACTIVATION_COLOURS[activation] || FALLBACK[index % FALLBACK.length];
}
