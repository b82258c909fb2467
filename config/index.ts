export { loadGatewayConfig, readEnvironment, declaredVariables, InvalidEnvironmentError } from './environment';
export type { EnvironmentVariables } from './environment';
export { CONFIG_OWNERS } from './gateway-config';
export type { GatewayConfig } from './gateway-config';
export { variablesOf, DEPLOYMENT_ENVIRONMENTS } from './config-owner';
export type { ConfigOwner, DeploymentEnvironment } from './config-owner';
export type { ServerOptions } from './server.config';
export { ENVIRONMENT_DEFAULTS } from './environment-defaults';
export { withDotEnv } from './dotenv';
