// HOOK for per-seed strip plots (issue 16 item 7, seed studies). Not built yet:
// the seed study (`landscape surface --seeds`, item 6) is being built in the
// library on another branch, and its API comes after both merge. When it does,
// the Sharpness tab calls renderSeedStrips(container, study) with the study
// JSON (per model the widths and curvatures of every seed, mean ± sd, 95 %
// interval; per pair of models the paired comparison): draw one strip per
// model and measure here, and write the paired comparison as one sentence.
// Until then this module only says what will appear in its container.

/** Fills `container` (#seed-strips) with the strip plots of `study`, or says they are not available yet. */
export function renderSeedStrips(container, study) {
  container.replaceChildren();
  const note = document.createElement('p');
  note.className = 'muted';
  note.textContent = study
    ? 'This page cannot draw seed studies yet.'
    : 'Per-seed strip plots of widths and curvatures, with the paired comparison of the models, will appear here '
      + 'once seed studies (landscape surface --seeds) are served by the API.';
  container.append(note);
}
