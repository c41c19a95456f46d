export { ALL_SERVICES, type AppConfig, type LogFormatSetting, type ServiceName } from './app-config.ts';
export { ConfigError } from './config-error.ts';
export { defaultConfig, loadConfig, usage, type LoadConfigResult } from './load-config.ts';
