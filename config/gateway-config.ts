import type { CallRecordsModuleOptions } from '@app/call-records';
import type { FleetModuleOptions } from '@app/fleet';
import type { AgentOptions, AssistantOptions, OutboundOptions } from '@app/orchestration';
import type { OpenAIRealtimeModuleOptions } from '@app/realtime';
import { agentConfig } from './agent.config';
import { assistantConfig } from './assistant.config';
import { authConfig } from './auth.config';
import type { AuthSection } from './auth.config';
import { callRecordsConfig } from './call-records.config';
import type { ConfigOwner } from './config-owner';
import { consoleConfig } from './console.config';
import type { ConsoleSection } from './console.config';
import { fleetConfig } from './fleet.config';
import { operationsConfig } from './operations.config';
import type { OperationsSection } from './operations.config';
import { outboundConfig } from './outbound.config';
import { realtimeConfig } from './realtime.config';
import { serverConfig } from './server.config';
import type { ServerOptions } from './server.config';
import { telephonyConfig } from './telephony.config';
import type { TelephonySection } from './telephony.config';

/**
 * The gateway's whole configuration, validated once at start-up: one section per owner, each the
 * options of the code that uses it (mostly a library module's `forRoot` options; the signing keys
 * are derived by the application from `auth.signingSecret`).
 */
export interface GatewayConfig {
  server: ServerOptions;
  auth: AuthSection;
  telephony: TelephonySection;
  realtime: OpenAIRealtimeModuleOptions;
  assistant: AssistantOptions;
  agent: AgentOptions;
  outbound: OutboundOptions;
  callRecords: CallRecordsModuleOptions;
  operations: OperationsSection;
  console: ConsoleSection;
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
  outbound: outboundConfig,
  callRecords: callRecordsConfig,
  operations: operationsConfig,
  console: consoleConfig,
  fleet: fleetConfig,
};
