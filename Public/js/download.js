// Downloads of exactly the view on screen: the picture query (kind, levels, log scale, vmin/vmax,
// 3D rotation, zmax) the server draws PNG/SVG/PDF from, and the data formats. The formats and the
// options each takes come from the server's OpenAPI document (limits.js downloadFormats).

import { downloadFormats } from './limits.js';

/** Pixels of a downloaded panel, and of each panel of a downloaded row (the server caps the total). */
const PANEL_SIZE = { width: 800, height: 600 };
const ROW_PANEL = { width: 560, height: 520 };

/** The page's rotation (radians, its own projection) as the server's azimuth/elevation (degrees, matplotlib's). */
export function serverView(view) {
  const deg = 180 / Math.PI;
  // The page's viewer direction is (−sin a · cos e, −cos a · cos e, sin e); the server's eye is
  // (cos el · cos az, cos el · sin az, sin el): so el = e and az = atan2(−cos a, −sin a).
  return { azimuth: Math.atan2(-Math.cos(view.azimuth), -Math.sin(view.azimuth)) * deg, elevation: view.elevation * deg };
}

/**
 * The picture query for the view: scale (the page's ColourScale) gives vmin/vmax and the levels:
 * a level spacing (vlevel) as it is, else the level count (evenly spaced on the scale, as drawn).
 */
export function pictureQuery(settings, scale, { twoDimensional = true, size = PANEL_SIZE } = {}) {
  const kind = !twoDimensional ? 'line' : settings.kind === '3d' ? 'surface3d' : settings.kind === 'heatmap' ? 'filled' : 'contour';
  const q = new URLSearchParams({ kind, metric: 'loss', width: String(size.width), height: String(size.height) });
  q.set('log', settings.log ? '1' : '0'); // explicit: the server's default is log for loss
  if (scale) {
    q.set('vmin', String(scale.vmin)); q.set('vmax', String(scale.vmax));
    if (scale.step !== null && !scale.stepTooFine) q.set('vlevel', String(scale.step));
    else if (scale.levels !== null) q.set('levels', String(scale.levels));
  }
  if (kind === 'surface3d') {
    const v = serverView(settings.view);
    q.set('azimuth', v.azimuth.toFixed(3)); q.set('elevation', v.elevation.toFixed(3));
    if (Number.isFinite(settings.zmax)) q.set('zmax', String(settings.zmax));
  }
  return q;
}

/** The query of a data download: the height options where the format takes them (h52vtp.py's zmax, log). */
function dataQuery(format, settings) {
  const q = new URLSearchParams();
  if (format.options.includes('zmax') && Number.isFinite(settings.zmax) && settings.zmax > 0) q.set('zmax', String(settings.zmax));
  if (format.options.includes('log') && settings.log) q.set('log', '1');
  return q;
}

/** The download URL of one format for surface `ids[0]` (pictures draw every id side by side). */
export function downloadURL(ids, format, settings, scale, { twoDimensional = true } = {}) {
  const base = `/api/surfaces/${encodeURIComponent(ids[0])}.${format.ext}`;
  let q;
  if (format.picture) {
    const size = ids.length > 1 ? { width: Math.min(ROW_PANEL.width * ids.length, 4096), height: ROW_PANEL.height } : PANEL_SIZE;
    q = pictureQuery(settings, scale, { twoDimensional, size });
    if (ids.length > 1) q.set('compare', ids.slice(1).join(','));
  } else {
    q = dataQuery(format, settings);
  }
  const text = q.toString();
  return text ? `${base}?${text}` : base;
}

/**
 * A download menu (a <details> with a link per format: keyboard reachable, closes with Escape).
 * picturesOnly: the row's menu (data formats are per surface). twoDimensional: meshes and .vtp need a 2D surface.
 * hasDirections: the surface has a directions file on the server (else its .directions.h5 is 404).
 */
export function downloadMenu(label, { picturesOnly = false, twoDimensional = true, hasDirections = true, id = null } = {}) {
  const menu = document.createElement('details');
  menu.className = 'download-menu';
  if (id) menu.id = id;
  const summary = document.createElement('summary');
  summary.textContent = label;
  const list = document.createElement('ul');
  menu.append(summary, list);
  menu.addEventListener('keydown', (e) => { if (e.key === 'Escape' && menu.open) { menu.open = false; summary.focus(); } });
  menu.formats = () => downloadFormats().filter((f) => (f.picture || !picturesOnly)
    && (twoDimensional || f.picture || !TWO_D_ONLY.has(f.ext)) && (hasDirections || f.ext !== 'directions.h5'));
  menu.update = (ids, settings, scale, { twoD = twoDimensional } = {}) => {
    const items = menu.formats().map((format) => {
      const a = document.createElement('a');
      a.href = downloadURL(ids, format, settings, scale, { twoDimensional: twoD });
      a.setAttribute('download', '');
      a.dataset.format = format.ext;
      a.textContent = format.ext.toUpperCase();
      a.title = format.summary;
      const li = document.createElement('li');
      li.append(a);
      return li;
    });
    list.replaceChildren(...items);
    menu.hidden = items.length === 0;
  };
  return menu;
}

/** Formats the server refuses for a 1D surface (400: a mesh or a VTK grid needs two axes). */
const TWO_D_ONLY = new Set(['vtp', 'obj', 'ply']);
