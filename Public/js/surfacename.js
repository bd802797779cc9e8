// What names one surface on the page: its model and, for random directions (the only kind a
// seed draws), the seed, so panels and slice legends of two seeds are never mistaken for one
// another (issue 16: "every panel, slice, PNG title and legend names model and seed"). The
// pictures the API draws name them the same way (LandscapePictures' SurfaceTitles).

/** "resnet20-relu · seed 3" (random directions), else the model name. */
export function surfaceName(surface) {
  const d = surface.directions || {};
  const kind = d.kind || 'random';
  return kind === 'random' && d.seed !== undefined && d.seed !== null
    ? `${surface.model.name} · seed ${d.seed}` : surface.model.name;
}
