import { DEPLOYMENT_ENVIRONMENTS } from './config-owner';
import type { DeploymentEnvironment } from './config-owner';
import { CONFIG_OWNERS } from './gateway-config';

/**
 * Every variable's default per deployment environment (NODE_ENV, default `local`), gathered from
 * the owners. Real environment variables always win over these values.
 */
export const ENVIRONMENT_DEFAULTS: Record<DeploymentEnvironment, Record<string, string>> = Object.fromEntries(
  DEPLOYMENT_ENVIRONMENTS.map((environment) => [
    environment,
    Object.assign({}, ...Object.values(CONFIG_OWNERS).flatMap((owner) => [owner.defaults.all, owner.defaults[environment]])),
  ]),
) as Record<DeploymentEnvironment, Record<string, string>>;
