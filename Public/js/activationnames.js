// The activations the engine knows (LandscapeEngine.ActivationKind), in its
// order. An activation's position here picks its colour (colormap.js), so it
// looks the same in every tab whatever else is drawn beside it.
export const ACTIVATIONS = ['relu', 'swish', 'mish', 'gelu', 'elu', 'leaky_relu', 'softplus', 'tanh', 'nish'];
