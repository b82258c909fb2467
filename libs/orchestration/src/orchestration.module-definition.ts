import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { AgentOptions } from './agent/agent-options';
import type { OutboundOptions } from './outbound/outbound-options';
import type { AssistantOptions } from './profiles/assistant-options';

export interface OrchestrationModuleOptions {
  /** Who answers: the default assistant and the named profiles. */
  assistant: AssistantOptions;
  /** What the assistant can do besides talking (tools, call control, limits, keypad) and the fallback. */
  agent: AgentOptions;
  /** Where outbound calls may go and how many one API key may place. */
  outbound: OutboundOptions;
}

export const { ConfigurableModuleClass: ConfigurableOrchestrationModule, MODULE_OPTIONS_TOKEN: ORCHESTRATION_OPTIONS } =
  new ConfigurableModuleBuilder<OrchestrationModuleOptions>({ moduleName: 'Orchestration' })
    .setClassMethodName('forRoot')
    // Global: one set of live calls per application, observed by operations, records and the console.
    .setExtras({}, (definition) => ({ ...definition, global: true }))
    .build();
