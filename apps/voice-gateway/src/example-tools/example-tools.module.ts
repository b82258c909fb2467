import { Module } from '@nestjs/common';
import { CurrentTimeTool } from './current-time.tool';

/** An integrator's module of assistant tools: each `@RealtimeTool` provider here is offered to the model. */
@Module({ providers: [CurrentTimeTool] })
export class ExampleToolsModule {}
