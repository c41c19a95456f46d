export type { FeatureRoutes, SamplesApp } from './feature-routes.ts';
export { addIndexRoute, listEndpoints } from './system-routes.ts';
