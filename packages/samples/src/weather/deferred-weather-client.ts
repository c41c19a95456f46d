import type {
  Coordinates,
  CurrentWeather,
  DailyForecast,
  DailyForecastOptions,
  WeatherClient,
} from '@hostkit/core/weather';

/**
 * A WeatherClient made on first use: for the built-in stub, whose port is only known once it has
 * started, after the DI container has resolved the services. Disposing it closes the client it
 * made, if any.
 */
export class DeferredWeatherClient implements WeatherClient, AsyncDisposable {
  readonly #create: () => WeatherClient & AsyncDisposable;
  #client: (WeatherClient & AsyncDisposable) | undefined = undefined;

  constructor(create: () => WeatherClient & AsyncDisposable) {
    this.#create = create;
  }

  async getCurrent(location: Coordinates, signal?: AbortSignal): Promise<CurrentWeather> {
    return this.#get().getCurrent(location, signal);
  }

  async getDailyForecast(location: Coordinates, options: DailyForecastOptions, signal?: AbortSignal): Promise<DailyForecast> {
    return this.#get().getDailyForecast(location, options, signal);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#client?.[Symbol.asyncDispose]();
  }

  #get(): WeatherClient {
    this.#client ??= this.#create();
    return this.#client;
  }
}
