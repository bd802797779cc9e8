// What the server allows and what a request defaults to, read from the API so
// that the page keeps no copy of either (copies drift when the server changes):
//
//   GET /api/limits        {max_models, max_grid_points, max_samples,
//                           max_activations,               (names per activation request)
//                           activations: [names],          (the engine's, in its order)
//                           levels: {min, max, default},   (contour levels)
//                           output_landscape: {sizes, default, max},  (the output landscape's size choices)
//                           hessian_fields: [{name, type, default, minimum, maximum, allowed}],  (the Sharpness form)
//                           study_fields: [...]}           (the seed study form, same shape)
//   GET /api/openapi.json  paths /api/surfaces/{id}.EXT: the download formats and their query options;
//                          components.schemas.SurfaceRequest.properties:
//                          defaults (samples, seed, norm, bn_mode, bn_batches,
//                          bn_batch_size), the norm and bn_mode choices, and the
//                          x / y examples the form starts from.
//
// Missing either, the page still works and says so (notice()): requests go
// unchecked (the server checks them anyway), empty form fields are left out of
// the request so the server's defaults apply, and contour levels follow the
// colour bar's ticks.

import { api } from './api.js';
import { ACTIVATIONS } from './activationnames.js';

const settings = { limits: null, request: null, downloads: null, hessianFields: null, studyFields: null, problems: [] };
let loading = null;

/** Loads both documents once; never throws (what is missing ends up in notice()). */
export function loadServerSettings() {
  if (!loading) loading = Promise.all([loadLimits(), loadRequestSchema()]);
  return loading;
}

async function loadLimits() {
  let body;
  try {
    body = await api.get('/api/limits');
  } catch (e) {
    settings.problems.push(`GET /api/limits failed (${e.status === 404 ? 'not found' : e.toString()})`);
    return;
  }
  const bad = [];
  const count = (name, v = body[name]) => { if (Number.isInteger(v) && v >= 1) return v; bad.push(name); return null; };
  const l = body.levels || {};
  let levels = { min: count('levels.min', l.min), max: count('levels.max', l.max), default: count('levels.default', l.default) };
  if (bad.some((n) => n.startsWith('levels')) || !(levels.min <= levels.default && levels.default <= levels.max)) {
    if (!bad.some((n) => n.startsWith('levels'))) bad.push('levels (min ≤ default ≤ max)');
    levels = null;
  }
  if (Array.isArray(body.activations) && body.activations.length && body.activations.every((a) => typeof a === 'string')) {
    ACTIVATIONS.splice(0, ACTIVATIONS.length, ...body.activations);
  } else {
    bad.push('activations');
  }
  const o = body.output_landscape || {};
  let outputLandscape = { sizes: o.sizes, default: o.default };
  if (!Array.isArray(o.sizes) || !o.sizes.length || !o.sizes.every((v) => Number.isInteger(v) && v >= 2) || !o.sizes.includes(o.default)) {
    bad.push('output_landscape');
    outputLandscape = null;
  }
  // The Hessian request's fields: the Sharpness tab says so itself when a server has none.
  if (Array.isArray(body.hessian_fields) && body.hessian_fields.every((f) => f && typeof f.name === 'string')) {
    settings.hessianFields = body.hessian_fields;
  }
  // The seed study's fields (SeedStudySpec.fields): the study form says so itself when a server has none.
  if (Array.isArray(body.study_fields) && body.study_fields.every((f) => f && typeof f.name === 'string')) {
    settings.studyFields = body.study_fields;
  }
  settings.limits = { maxModels: count('max_models'), maxGridPoints: count('max_grid_points'), maxSamples: count('max_samples'),
    maxActivations: count('max_activations'), levels, outputLandscape };
  if (bad.length) settings.problems.push(`GET /api/limits lacks ${bad.join(', ')}`);
}

/**
 * The downloads the server offers for a surface, from the OpenAPI document's paths
 * /api/surfaces/{id}.EXT: [{ext, summary, picture, options}] with options the query
 * parameters the path takes (a picture takes the view's; vtp/obj/ply take zmax, log).
 */
function readDownloads(paths) {
  const out = [];
  for (const [path, item] of Object.entries(paths || {})) {
    const m = /^\/api\/surfaces\/\{id\}\.([a-z0-9.]+)$/.exec(path);
    if (!m || !item.get) continue;
    const ok = item.get.responses && item.get.responses['200'];
    const types = ok && ok.content ? Object.keys(ok.content) : [];
    if (!types.length) continue; // not a download (the JSON forms)
    const options = (item.get.parameters || []).filter((p) => p.in === 'query').map((p) => p.name);
    out.push({ ext: m[1], summary: item.get.summary || '', type: types[0], picture: types[0].startsWith('image/') || types[0] === 'application/pdf', options });
  }
  // Pictures first, then the data formats, each in the document's (sorted) order.
  return out.sort((a, b) => (b.picture - a.picture) || a.ext.localeCompare(b.ext));
}

async function loadRequestSchema() {
  let props;
  try {
    const document = await api.get('/api/openapi.json');
    settings.downloads = readDownloads(document.paths);
    if (!settings.downloads.length) settings.problems.push('GET /api/openapi.json lists no surface downloads');
    props = document.components.schemas.SurfaceRequest.properties;
    if (!props) throw new Error('no properties');
  } catch (e) {
    settings.problems.push('GET /api/openapi.json has no SurfaceRequest schema');
    return;
  }
  const value = (name, key) => (props[name] && props[name][key] !== undefined ? props[name][key] : null);
  settings.request = {
    defaults: { samples: value('samples', 'default'), seed: value('seed', 'default'), norm: value('norm', 'default'),
      bn_mode: value('bn_mode', 'default'), bn_batches: value('bn_batches', 'default'), bn_batch_size: value('bn_batch_size', 'default') },
    choices: { norm: value('norm', 'enum'), bn_mode: value('bn_mode', 'enum') },
    examples: { x: value('x', 'example'), y: value('y', 'example') },
  };
}

/**
 * The caps of GET /api/limits ({maxModels, maxGridPoints, maxSamples, maxActivations}, each null when unknown;
 * outputLandscape {sizes, default} or null), or null.
 */
export function limits() { return settings.limits; }

/** The Hessian request's fields [{name, type, description, default, allowed, minimum, maximum}] from GET /api/limits, or null. */
export function hessianFields() { return settings.hessianFields; }
/** The seed study request's fields from GET /api/limits (study_fields), or null. */
export function studyFields() { return settings.studyFields; }

/** The request defaults, choices and examples of the OpenAPI schema, or null. */
export function requestSchema() { return settings.request; }

/** The server's surface downloads [{ext, summary, type, picture, options}] (from its OpenAPI document), or []. */
export function downloadFormats() { return settings.downloads || []; }

/** The server's contour-level range {min, max, default}, or null. */
export function levelRange() { return settings.limits && settings.limits.levels; }

/**
 * Contour levels to draw for a requested count: clamped to the server's range, its default when none
 * was asked for; null (levels at the colour bar's ticks) while the server has given no range.
 */
export function levelsFor(requested) {
  const range = levelRange();
  if (!range) return null;
  const n = Number.isFinite(requested) ? Math.round(requested) : range.default;
  return Math.max(range.min, Math.min(range.max, n));
}

/** A sentence for the page when something could not be read, else null. */
export function notice() {
  if (!settings.problems.length) return null;
  const meanwhile = [];
  if (!settings.limits) meanwhile.push('requests go unchecked until the server checks them');
  if (!levelRange()) meanwhile.push('contour levels follow the colour bar’s ticks');
  if (!settings.limits || !settings.limits.outputLandscape) meanwhile.push('output landscapes are drawn at the server’s default size');
  if (!settings.request) meanwhile.push('empty form fields take the server’s defaults');
  if (!downloadFormats().length) meanwhile.push('the download menus are empty');
  return `This server does not publish all its limits and defaults: ${settings.problems.join('; ')}.`
    + (meanwhile.length ? ` Meanwhile ${meanwhile.join('; ')}.` : '');
}
