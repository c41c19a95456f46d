export { HttpServerService, type HttpServerServiceOptions } from './http-server-service.ts';
export { sendJson, sendText } from './json-response.ts';
export type { FeatureRoutes, Route, RouteMethod } from './route.ts';
export { createHealthRoutes, createIndexRoute, createStatusRoute } from './system-routes.ts';
