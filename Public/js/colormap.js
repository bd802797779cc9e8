// Viridis (matplotlib), sampled at 11 evenly spaced anchors and interpolated
// linearly: close enough to the real 256-entry table for display; and the
// palette for lines of different activations.

import { ACTIVATIONS } from './activationnames.js';

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

/**
 * Ten colours for lines, far apart from each other (CIE76 ΔE ≥ 37 between any two; a keyed table
 * had given ReLU, Nish and Leaky ReLU three near-identical oranges). The first three are the
 * page's ReLU / Swish / Mish colours.
 */
export const PALETTE = ['#e4572e', '#2e86de', '#17a673', '#8e44ad', '#b7950b', '#f06bb3', '#17becf', '#8a8f98', '#7b3f00', '#1f2530'];

/** Colour of an activation's lines: its position among the known activations; an unknown one takes the places after them, by index. */
export function seriesColour(activation, index = 0) {
  const known = ACTIVATIONS.indexOf(activation);
  return PALETTE[(known >= 0 ? known : ACTIVATIONS.length + index) % PALETTE.length];
}
