// The activations the engine knows, in its order, as GET /api/limits lists them
// (limits.js fills this array in place; the page keeps no copy of its own). An
// activation's position here picks its colour (colormap.js), so it looks the
// same in every tab whatever else is drawn beside it.
export const ACTIVATIONS = [];
