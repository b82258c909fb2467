import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { AgentVariables } from './agent.config';
import type { AssistantVariables } from './assistant.config';
import type { AuthVariables } from './auth.config';
import type { CallRecordsVariables } from './call-records.config';
import { emptyMeansUnset, variablesOf } from './config-owner';
import type { DeploymentEnvironment } from './config-owner';
import type { ConsoleVariables } from './console.config';
import type { FleetVariables } from './fleet.config';
import { ENVIRONMENT_DEFAULTS } from './environment-defaults';
import { CONFIG_OWNERS } from './gateway-config';
import type { GatewayConfig } from './gateway-config';
import type { OperationsVariables } from './operations.config';
import type { OutboundVariables } from './outbound.config';
import type { RealtimeVariables } from './realtime.config';
import type { ServerVariables } from './server.config';
import type { TelephonyVariables } from './telephony.config';

/** Every environment variable the gateway reads, validated and converted (numbers are numbers). */
export type EnvironmentVariables = ServerVariables &
  AuthVariables &
  TelephonyVariables &
  RealtimeVariables &
  AssistantVariables &
  AgentVariables &
  OutboundVariables &
  CallRecordsVariables &
  OperationsVariables &
  ConsoleVariables &
  FleetVariables;

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

const OWNERS = Object.values(CONFIG_OWNERS);

/**
 * Reads the gateway's configuration from environment variables (`process.env` by default) and
 * validates it once: the chosen environment's defaults go under the real variables, every owner's
 * variables are validated, JSON and files are read, and any problem throws one
 * InvalidEnvironmentError naming each offending variable (never echoing a value).
 */
export function loadGatewayConfig(source: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return validateEnvironment(source).config;
}

/** The validated variables themselves, by name (as loadGatewayConfig validates them). */
export function readEnvironment(source: NodeJS.ProcessEnv = process.env): EnvironmentVariables {
  return validateEnvironment(source).variables;
}

/** The name of every variable the gateway reads. */
export function declaredVariables(): string[] {
  return OWNERS.flatMap((owner) => variablesOf(owner.variables));
}

function validateEnvironment(source: NodeJS.ProcessEnv): { variables: EnvironmentVariables; config: GatewayConfig } {
  const merged = withDefaults(source);
  const problems: string[] = [];
  const invalid = new Set<string>();
  const variables: Record<string, unknown> = {};
  for (const owner of OWNERS) {
    // Built from every variable, so a rule may look at another owner's (e.g. NODE_ENV).
    const instance = plainToInstance(owner.variables, merged) as Record<string, unknown>;
    for (const error of validateSync(instance, { skipMissingProperties: false, forbidUnknownValues: false })) {
      invalid.add(error.property);
      problems.push(`${error.property}: ${Object.values(error.constraints ?? {}).join('; ')}`);
    }
    for (const name of variablesOf(owner.variables)) variables[name] = instance[name];
  }
  const env = variables as unknown as EnvironmentVariables;
  const isValid = (variable: string) => !invalid.has(variable);
  for (const owner of OWNERS) problems.push(...(owner.check?.(env, isValid) ?? []));

  const parse = <T>(variable: string, parser: () => T): T => {
    if (!isValid(variable)) return undefined as T;
    try {
      return parser();
    } catch (error) {
      problems.push((error as Error).message);
      return undefined as T;
    }
  };
  const config: Record<string, unknown> = {};
  for (const [section, owner] of Object.entries(CONFIG_OWNERS)) {
    try {
      config[section] = owner.section(env, parse);
    } catch (error) {
      // An invalid value can trip a section; the problems already name it.
      if (problems.length === 0) throw error;
    }
  }
  if (problems.length > 0) throw new InvalidEnvironmentError(problems);
  return { variables: env, config: config as unknown as GatewayConfig };
}

/** The chosen environment's defaults under the real variables (an empty value means unset where declared so). */
function withDefaults(source: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const nodeEnv = (source.NODE_ENV || 'local') as DeploymentEnvironment;
  const unsetWhenEmpty = new Set(OWNERS.flatMap((owner) => [...emptyMeansUnset(owner.variables)]));
  const merged: Record<string, string | undefined> = { ...(ENVIRONMENT_DEFAULTS[nodeEnv] ?? {}), NODE_ENV: nodeEnv };
  for (const [key, value] of Object.entries(source)) {
    if (value === '' && unsetWhenEmpty.has(key)) continue;
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}
