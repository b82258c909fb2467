import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RealtimeFunctionTool } from '@app/realtime';
import { TwilioRestClient } from '@app/telephony';
import { END_CALL_TOOL, RegisteredTool, ToolRegistry, ToolRunner, TRANSFER_CALL_TOOL } from '@app/tools';
import { ORCHESTRATION_OPTIONS } from '../orchestration.module-definition';
import type { OrchestrationModuleOptions } from '../orchestration.module-definition';
import type { AgentOptions } from './agent-options';
import { CallAgent } from './call-agent';
import type { CallAgentHost } from './call-agent-host';
import { CallControl } from './call-control';
import { WarmTransfers } from './warm-transfers.service';

/** Longest wait for the assistant's last words before hanging up or transferring anyway. */
const CONTROL_MAX_WAIT_MS = 20_000;

export interface CallAgentRequest {
  profile: string;
  /** Tool names the profile allows; undefined: every available tool. */
  tools?: string[];
  parameters: Readonly<Record<string, string>>;
  /** A softphone call has no Twilio call: nothing is done through Twilio's REST API (no transfer; a hang-up just closes the stream). */
  origin: 'twilio' | 'softphone';
}

/** Makes each call's CallAgent, with the tools its profile allows and the configuration turns on. */
@Injectable()
export class CallAgentFactory {
  private readonly logger = new Logger(CallAgentFactory.name);
  private readonly warnedUnknown = new Set<string>();
  private readonly config: AgentOptions;
  private transferTool?: RegisteredTool;

  constructor(
    private readonly registry: ToolRegistry,
    private readonly twilio: TwilioRestClient,
    private readonly warmTransfers: WarmTransfers,
    @Inject(ORCHESTRATION_OPTIONS) options: OrchestrationModuleOptions,
  ) {
    this.config = options.agent;
  }

  create(host: CallAgentHost, request: CallAgentRequest): { agent: CallAgent; tools: RealtimeFunctionTool[] } {
    const tools = new Map<string, RegisteredTool>();
    const twilioCall = request.origin === 'twilio';
    for (const name of request.tools ?? this.registry.names()) {
      const tool = this.registry.get(name);
      if (!tool) {
        this.warnUnknown(name, request.profile);
        continue;
      }
      if (!this.isAvailable(name, twilioCall)) continue;
      tools.set(name, name === TRANSFER_CALL_TOOL ? this.transferToolByName(tool) : tool);
    }
    const runner = new ToolRunner({ tools, defaultTimeoutMs: this.config.toolTimeoutMs, logger: host.log });
    const control = new CallControl(host, twilioCall ? this.twilio : undefined, {
      endCallEnabled: this.config.endCallEnabled,
      transferCallEnabled: this.config.transferCallEnabled && this.twilio.isConfigured && twilioCall,
      transferDestinations: this.config.transferDestinations,
      maxWaitMs: CONTROL_MAX_WAIT_MS,
      transferMode: this.config.transferMode,
      warmTransfer: this.config.warmTransfer,
      warmTransfers: this.warmTransfers,
    });
    const agent = new CallAgent(host, {
      runner,
      control,
      dtmfWindowMs: this.config.dtmfWindowMs,
      profile: request.profile,
      parameters: request.parameters,
      limits: { maxDurationMs: this.config.maxCallDurationMs, idleTimeoutMs: this.config.callerIdleTimeoutMs },
    });
    return { agent, tools: runner.definitions };
  }

  private isAvailable(name: string, twilioCall: boolean): boolean {
    if (name === END_CALL_TOOL) return this.config.endCallEnabled;
    if (name === TRANSFER_CALL_TOOL) return this.config.transferCallEnabled && this.twilio.isConfigured && twilioCall;
    return true;
  }

  /** transfer_call as the model sees it: the destinations by name (an enum), never their numbers. */
  private transferToolByName(tool: RegisteredTool): RegisteredTool {
    this.transferTool ??= {
      ...tool,
      definition: withDestinationNames(tool.definition, this.config.transferDestinations.map((d) => d.name)),
    };
    return this.transferTool;
  }

  private warnUnknown(name: string, profile: string): void {
    const key = `${profile}/${name}`;
    if (this.warnedUnknown.has(key)) return;
    this.warnedUnknown.add(key);
    this.logger.warn(`assistant profile "${profile}" lists the unknown tool "${name}"; it is left out`);
  }
}

function withDestinationNames(definition: RealtimeFunctionTool, names: string[]): RealtimeFunctionTool {
  const parameters = definition.parameters as { properties?: Record<string, Record<string, unknown>> };
  const destination = parameters.properties?.destination;
  if (!destination) return definition;
  return {
    ...definition,
    parameters: {
      ...parameters,
      properties: {
        ...parameters.properties,
        destination: { ...destination, enum: names, description: `Optional: who to transfer to, one of ${names.join(', ')}. Omit for ${names[0]}.` },
      },
    },
  };
}
