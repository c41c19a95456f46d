export { addWeatherCache, type WeatherDependencies } from './add-weather-cache.ts';
export { DeferredWeatherClient } from './deferred-weather-client.ts';
export { WeatherCacheService, weatherCacheKey, type CachedForecast, type WeatherCacheServiceOptions } from './weather-cache-service.ts';
export { addWeatherRoute } from './weather-route.ts';
export { handleStubRequest, WeatherStubServer } from './weather-stub-server.ts';
export { DistributedCacheToken, WeatherClientToken } from './weather-tokens.ts';
