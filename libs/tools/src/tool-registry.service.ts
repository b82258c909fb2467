import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Ajv, type ValidateFunction } from 'ajv';
import type { RealtimeFunctionTool } from '@app/realtime';
import { RealtimeTool, RealtimeToolHandler, RealtimeToolOptions } from './realtime-tool';

export interface RegisteredTool {
  definition: RealtimeFunctionTool;
  handler: RealtimeToolHandler;
  validate: ValidateFunction;
  timeoutMs?: number;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Every `@RealtimeTool` provider in the application, found once at start-up, with its argument
 * schema compiled. A bad declaration (duplicate name, invalid schema, no execute()) stops start-up.
 */
@Injectable()
export class ToolRegistry implements OnModuleInit {
  private readonly logger = new Logger(ToolRegistry.name);
  private readonly tools = new Map<string, RegisteredTool>();
  private readonly ajv = new Ajv({ allErrors: true, strict: false });

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: RealtimeTool.KEY })) {
      const options = this.discovery.getMetadataByDecorator(RealtimeTool, wrapper);
      if (!options || !wrapper.instance) continue;
      this.register(options, wrapper.instance as RealtimeToolHandler);
    }
    if (this.tools.size > 0) this.logger.log(`assistant tools: ${this.names().join(', ')}`);
  }

  register(options: RealtimeToolOptions, handler: RealtimeToolHandler): void {
    if (!TOOL_NAME.test(options.name)) throw new Error(`tool name "${options.name}" must match ${TOOL_NAME}`);
    if (this.tools.has(options.name)) throw new Error(`two tools are named "${options.name}"`);
    if (typeof handler?.execute !== 'function') throw new Error(`tool "${options.name}" has no execute() method`);
    let validate: ValidateFunction;
    try {
      validate = this.ajv.compile(options.parameters);
    } catch (error) {
      throw new Error(`tool "${options.name}" declares an invalid parameters schema: ${(error as Error).message}`);
    }
    this.tools.set(options.name, {
      definition: { type: 'function', name: options.name, description: options.description, parameters: options.parameters },
      handler,
      validate,
      timeoutMs: options.timeoutMs,
    });
  }

  get(name: string): RegisteredTool | undefined {
    return this.tools.get(name);
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  names(): string[] {
    return [...this.tools.keys()];
  }
}
