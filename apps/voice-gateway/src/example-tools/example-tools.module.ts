import { Module } from '@nestjs/common';
import { CurrentTimeTool } from './current-time.tool';

/**
 * An integrator's module of assistant tools: each `@RealtimeTool` provider here is offered to the
 * model. test/e2e/custom-tool.e2e-spec.ts shows how to test such a module end to end.
 */
@Module({ providers: [CurrentTimeTool] })
export class ExampleToolsModule {}
