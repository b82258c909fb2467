import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { RealtimeTool, RealtimeToolHandler } from './realtime-tool';
import { ToolRegistry } from './tool-registry.service';
import { ToolsModule } from './tools.module';

@RealtimeTool({ name: 'book_slot', description: 'Books a slot.', parameters: { type: 'object', properties: { day: { type: 'string' } } } })
@Injectable()
class BookSlotTool implements RealtimeToolHandler {
  execute() {
    return { booked: true };
  }
}

@Module({ providers: [BookSlotTool] })
class IntegratorModule {}

describe('ToolRegistry', () => {
  it('discovers @RealtimeTool providers declared in any module, next to the built-in call-control tools', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ToolsModule, IntegratorModule] }).compile();
    await moduleRef.init();
    const registry = moduleRef.get(ToolRegistry);
    expect(registry.names().sort()).toEqual(['book_slot', 'end_call', 'transfer_call', 'voicemail_detected']);
    expect(registry.get('book_slot')!.definition).toEqual({
      type: 'function',
      name: 'book_slot',
      description: 'Books a slot.',
      parameters: { type: 'object', properties: { day: { type: 'string' } } },
    });
    expect(registry.get('book_slot')!.handler).toBe(moduleRef.get(BookSlotTool));
    await moduleRef.close();
  });

  it('refuses duplicate names, bad names, invalid schemas and classes without execute()', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ToolsModule] }).compile();
    await moduleRef.init();
    const registry = moduleRef.get(ToolRegistry);
    const handler = { execute: () => 1 };
    expect(() => registry.register({ name: 'end_call', description: '', parameters: { type: 'object' } }, handler)).toThrow(/two tools are named "end_call"/);
    expect(() => registry.register({ name: 'has space', description: '', parameters: { type: 'object' } }, handler)).toThrow(/must match/);
    expect(() => registry.register({ name: 'bad_schema', description: '', parameters: { type: 'nonsense' } }, handler)).toThrow(/invalid parameters schema/);
    expect(() => registry.register({ name: 'no_execute', description: '', parameters: { type: 'object' } }, {} as never)).toThrow(/no execute\(\) method/);
    await moduleRef.close();
  });
});
