import type { AuthModuleOptions } from '@app/auth';
import type { CallRecordsModuleOptions } from '@app/call-records';
import type { ConsoleModuleOptions } from '@app/console';
import type { FleetModuleOptions } from '@app/fleet';
import type { OperationsModuleOptions } from '@app/operations';
import type { AgentOptions, AssistantOptions } from '@app/orchestration';
import type { OpenAIRealtimeModuleOptions } from '@app/realtime';
import type { TwilioModuleOptions } from '@app/telephony';
import { agentConfig } from './agent.config';
import { assistantConfig } from './assistant.config';
import { authConfig } from './auth.config';
import { callRecordsConfig } from './call-records.config';
import type { ConfigOwner } from './config-owner';
import { consoleConfig } from './console.config';
import { fleetConfig } from './fleet.config';
import { operationsConfig } from './operations.config';
import { realtimeConfig } from './realtime.config';
import { serverConfig } from './server.config';
import type { ServerOptions } from './server.config';
import { telephonyConfig } from './telephony.config';

/**
 * The gateway's whole configuration, validated once at start-up: one section per owner, each the
 * options of the code that uses it (mostly a library module's `forRoot` options).
 */
export interface GatewayConfig {
  server: ServerOptions;
  auth: AuthModuleOptions;
  telephony: TwilioModuleOptions;
  realtime: OpenAIRealtimeModuleOptions;
  assistant: AssistantOptions;
  agent: AgentOptions;
  callRecords: CallRecordsModuleOptions;
  operations: OperationsModuleOptions;
  console: ConsoleModuleOptions;
  fleet: FleetModuleOptions;
}

/** Who owns which environment variables, in the order the documentation lists them. */
export const CONFIG_OWNERS: { readonly [Section in keyof GatewayConfig]: ConfigOwner<GatewayConfig[Section]> } = {
  server: serverConfig,
  auth: authConfig,
  telephony: telephonyConfig,
  realtime: realtimeConfig,
  assistant: assistantConfig,
  agent: agentConfig,
  callRecords: callRecordsConfig,
  operations: operationsConfig,
  console: consoleConfig,
  fleet: fleetConfig,
};
