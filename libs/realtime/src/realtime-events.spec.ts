import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as OpenAIRealtime from 'openai/resources/realtime/realtime';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { RealtimeClientEvent, RealtimeServerEvent, RealtimeSessionConfig } from './realtime-events';
import type { RealtimeConversation } from './resilient-realtime-session';
import { buildSessionConfig } from './session-config';

/**
 * The event types are OpenAI's own: these checks run when the repository is type-checked
 * (`npm run typecheck`, the first step of `npm test`); a `@ts-expect-error` that stops being an
 * error fails the type check.
 */
describe('the Realtime event types', () => {
  it("are the openai package's", () => {
    expectTypeOf<RealtimeSessionConfig>().toEqualTypeOf<OpenAIRealtime.RealtimeSessionCreateRequest>();
    expectTypeOf<RealtimeServerEvent>().toEqualTypeOf<OpenAIRealtime.RealtimeServerEvent>();
    expectTypeOf<RealtimeClientEvent>().toEqualTypeOf<OpenAIRealtime.RealtimeClientEvent | OpenAIRealtime.ResponseCreateEventWithReferencesParam>();
    // Whatever a call sends goes through these two doors.
    expectTypeOf<Parameters<RealtimeConversation['send']>[0]>().toEqualTypeOf<RealtimeClientEvent>();
    expectTypeOf<Parameters<RealtimeConversation['configure']>[0]>().toEqualTypeOf<OpenAIRealtime.RealtimeSessionCreateRequest>();
    expectTypeOf(buildSessionConfig).returns.toEqualTypeOf<OpenAIRealtime.RealtimeSessionCreateRequest>();
  });

  it('refuse malformed events at compile time', () => {
    const refused: unknown[] = [
      // @ts-expect-error transcription is left out when off, never null
      { type: 'realtime', audio: { input: { transcription: null } } } satisfies RealtimeSessionConfig,
      // @ts-expect-error a beta-only event name
      { type: 'response.audio.delta' } satisfies RealtimeClientEvent,
      // @ts-expect-error conversation.item.truncate needs content_index
      { type: 'conversation.item.truncate', item_id: 'item_1', audio_end_ms: 10 } satisfies RealtimeClientEvent,
      // @ts-expect-error an unknown reasoning effort
      { type: 'realtime', reasoning: { effort: 'maximal' } } satisfies RealtimeSessionConfig,
    ];
    expect(refused).toHaveLength(4);
  });

  it('come from the openai package as types only: nothing of it is loaded at run time', () => {
    const root = join(__dirname, '../../..');
    const offenders: string[] = [];
    const visit = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) visit(path);
        else if (/\.(ts|mts)$/.test(entry.name) && !/\.(spec|e2e-spec)\.ts$/.test(entry.name)) {
          for (const line of readFileSync(path, 'utf8').split('\n')) {
            if (/from ['"]openai(\/|['"])|require\(['"]openai/.test(line) && !/^\s*import type /.test(line)) offenders.push(`${path}: ${line.trim()}`);
          }
        }
      }
    };
    for (const dir of ['apps', 'libs', 'config']) visit(join(root, dir));
    expect(offenders).toEqual([]);
  });
});
