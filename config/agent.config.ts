import { ConfigType, registerAs } from '@nestjs/config';
import { parseAssistantProfiles } from './assistant-profiles';
import { readEnvironment } from './environment';

const list = (value: string | undefined) => (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);

/** What the assistant can do besides talking: tools, call control, keypad input, profiles. */
export const agentConfig = registerAs('agent', () => {
  const env = readEnvironment();
  const transferNumbers = list(env.TRANSFER_PHONE_NUMBER);
  return {
    toolTimeoutMs: env.TOOL_TIMEOUT_MS,
    dtmfWindowMs: env.DTMF_WINDOW_MS,
    /** 0: no limit. */
    maxCallDurationMs: env.MAX_CALL_DURATION_S * 1000,
    /** 0: off. */
    callerIdleTimeoutMs: env.CALLER_IDLE_TIMEOUT_S * 1000,
    endCallEnabled: env.END_CALL_ENABLED === 'true',
    /** transfer_call is offered only when enabled and a number is configured. */
    transferCallEnabled: env.TRANSFER_CALL_ENABLED === 'true' && transferNumbers.length > 0,
    /** The first is the default destination. */
    transferNumbers,
    /** Tools of the default assistant; undefined: every registered tool. */
    defaultTools: env.ASSISTANT_TOOLS?.trim() ? list(env.ASSISTANT_TOOLS) : undefined,
    profiles: parseAssistantProfiles(env.ASSISTANT_PROFILES),
  };
});
export type AgentConfig = ConfigType<typeof agentConfig>;
