import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RealtimeFunctionTool } from '@app/realtime';
import { TwilioRestClient } from '@app/telephony';
import { END_CALL_TOOL, RegisteredTool, ToolRegistry, ToolRunner, TRANSFER_CALL_TOOL, VOICEMAIL_DETECTED_TOOL } from '@app/tools';
import { ORCHESTRATION_OPTIONS } from '../orchestration.module-definition';
import type { OrchestrationModuleOptions } from '../orchestration.module-definition';
import type { AgentOptions } from './agent-options';
import { CallAgent } from './call-agent';
import type { CallAgentHost } from './call-agent-host';
import { CallControl } from './call-control';
import { VoicemailDrop } from './voicemail-drop';
import type { VoicemailSettings } from '../profiles/assistant-options';
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
  direction?: 'inbound' | 'outbound';
  /** Voicemail detection and drop (outbound Twilio calls only); undefined or `off`: none. */
  voicemail?: VoicemailSettings;
  /** With Twilio's detection, how long the greeting waits for AnsweredBy. */
  voicemailGreetingHoldMs?: number;
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

  create(host: CallAgentHost, request: CallAgentRequest): { agent: CallAgent; tools: RealtimeFunctionTool[]; voicemail?: VoicemailDrop } {
    const tools = new Map<string, RegisteredTool>();
    const twilioCall = request.origin === 'twilio';
    const detection = twilioCall && request.direction === 'outbound' ? (request.voicemail?.detection ?? 'off') : 'off';
    const modelDetection = detection === 'model' || detection === 'both';
    for (const name of request.tools ?? this.registry.names()) {
      // Offered by the voicemail setting alone (below), never by a tool list.
      if (name === VOICEMAIL_DETECTED_TOOL) continue;
      const tool = this.registry.get(name);
      if (!tool) {
        this.warnUnknown(name, request.profile);
        continue;
      }
      if (!this.isAvailable(name, twilioCall)) continue;
      tools.set(name, name === TRANSFER_CALL_TOOL ? this.transferToolByName(tool) : tool);
    }
    const voicemailTool = modelDetection ? this.registry.get(VOICEMAIL_DETECTED_TOOL) : undefined;
    if (voicemailTool) tools.set(VOICEMAIL_DETECTED_TOOL, voicemailTool);
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
    if (detection === 'off' || !request.voicemail) return { agent, tools: runner.definitions };
    const voicemail = new VoicemailDrop(host, agent, control, this.twilio.isConfigured ? this.twilio : undefined, {
      settings: request.voicemail,
      twilioDetection: detection === 'twilio' || detection === 'both',
      modelDetection,
      greetingHoldMs: request.voicemailGreetingHoldMs ?? 0,
    });
    control.voicemailHandler = () => voicemail.detectedByModel();
    return { agent, tools: runner.definitions, voicemail };
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
