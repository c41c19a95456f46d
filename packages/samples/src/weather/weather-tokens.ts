import { createToken, type DistributedCache, type Token } from '@hostkit/core';
import { type WeatherClient } from '@hostkit/core/weather';

/** The cache the weather sample stores forecasts in (a MemoryDistributedCache by default). */
export const DistributedCacheToken: Token<DistributedCache> = createToken<DistributedCache>('DistributedCache');

/** The client the weather sample fetches forecasts with (Open-Meteo over undici by default). */
export const WeatherClientToken: Token<WeatherClient> = createToken<WeatherClient>('WeatherClient');
