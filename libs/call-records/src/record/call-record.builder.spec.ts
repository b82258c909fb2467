import { describe, expect, it } from 'vitest';
import { CallRecordBuilder } from './call-record.builder';

const PRICES = { inputText: 4, inputAudio: 32, cachedInput: 0.4, outputText: 16, outputAudio: 64 };
const T0 = Date.parse('2026-11-24T10:00:00.000Z');

function builder() {
  return new CallRecordBuilder({ callSid: 'CA1', streamSid: 'MZ1', customParameters: { From: '+1555', To: '+1666' }, profile: 'sales', direction: 'inbound', startedAt: T0 }, PRICES);
}

describe('CallRecordBuilder', () => {
  it('cuts an interrupted assistant turn at what the caller heard, whichever of cut and transcript comes first', () => {
    const text = 'one two three four five six seven eight nine ten';
    const before = builder();
    before.assistantAudioStarted(T0 + 100);
    before.bargeIn([{ itemId: 'a1', playedMs: 1000, sentMs: 2000 }]);
    before.assistantTranscript('a1', text, T0 + 2000);
    const after = builder();
    after.assistantAudioStarted(T0 + 100);
    after.assistantTranscript('a1', text, T0 + 300);
    after.bargeIn([{ itemId: 'a1', playedMs: 1000, sentMs: 2000 }]);
    for (const b of [before, after]) {
      expect(b.snapshot().transcript).toEqual([
        { role: 'assistant', itemId: 'a1', at: '2026-11-24T10:00:00.100Z', text: 'one two three four five', interrupted: { heardMs: 1000, sentMs: 2000, fullText: text } },
      ]);
    }
  });

  it('keeps an assistant turn the caller never heard as empty, with its full text beside it', () => {
    const b = builder();
    b.assistantTranscript('a1', 'Hello there', T0);
    b.bargeIn([{ itemId: 'a1', playedMs: 0, sentMs: 400 }]);
    expect(b.snapshot().transcript[0]).toMatchObject({ text: '', interrupted: { heardMs: 0, fullText: 'Hello there' } });
  });

  it('orders turns by when they began, timestamps caller turns at speech start, and skips empty ones', () => {
    const b = builder();
    b.assistantAudioStarted(T0 + 50);
    b.assistantTranscript('a1', 'Hi!', T0 + 900);
    b.callerSpeechStarted(T0 + 1000);
    b.assistantAudioStarted(T0 + 2500);
    b.assistantTranscript('a2', 'Sure.', T0 + 3000);
    b.callerTranscript('c1', ' I need help ', T0 + 3100);
    b.callerSpeechStarted(T0 + 4000);
    b.callerTranscript('c2', '   ', T0 + 4500);
    expect(b.snapshot().transcript.map((t) => [t.role, t.text, t.at])).toEqual([
      ['assistant', 'Hi!', '2026-11-24T10:00:00.050Z'],
      ['caller', 'I need help', '2026-11-24T10:00:01.000Z'],
      ['assistant', 'Sure.', '2026-11-24T10:00:02.500Z'],
    ]);
  });

  it('sums usage by kind from every response.done and prices it, cached input at the cached rate', () => {
    const b = builder();
    const usage = {
      total_tokens: 1500,
      input_tokens: 1000,
      output_tokens: 500,
      input_token_details: { text_tokens: 200, audio_tokens: 800, cached_tokens: 500 },
      output_token_details: { text_tokens: 100, audio_tokens: 400 },
    };
    b.responseDone(usage);
    b.responseDone(usage);
    b.responseDone(undefined);
    const { usage: totals, cost } = b.snapshot();
    expect(totals).toEqual({
      responses: 2,
      inputTokens: 2000,
      outputTokens: 1000,
      totalTokens: 3000,
      inputTextTokens: 400,
      inputAudioTokens: 1600,
      cachedInputTokens: 1000,
      outputTextTokens: 200,
      outputAudioTokens: 800,
    });
    // Uncached: 200 text + 800 audio; cached 1000; output 200 text + 800 audio (USD per 1M).
    expect(cost.breakdown).toEqual({ inputText: 0.0008, inputAudio: 0.0256, cachedInput: 0.0004, outputText: 0.0032, outputAudio: 0.0512 });
    expect(cost.total).toBeCloseTo(0.0812, 6);
  });

  it('records tool calls, call identity, the end and the error that ended it', () => {
    const b = builder();
    b.toolCalled({ name: 'lookup', arguments: '{"id":7}', result: { ok: true }, startedAt: T0 + 10, durationMs: 35 });
    b.toolCalled({ name: 'broken', arguments: 'not json', error: 'timeout', startedAt: T0 + 20, durationMs: 5000 });
    b.openAiError('response_cancel_not_active', 'benign');
    expect(b.snapshot()).toMatchObject({ status: 'in-progress', revision: 1 });
    b.openAiError('server_error', 'boom');
    b.ended('openai-failed', T0 + 65_000);
    expect(b.snapshot()).toMatchObject({
      callSid: 'CA1',
      streamSid: 'MZ1',
      from: '+1555',
      to: '+1666',
      direction: 'inbound',
      assistantProfile: 'sales',
      status: 'completed',
      endedAt: '2026-11-24T10:01:05.000Z',
      durationMs: 65_000,
      endReason: 'openai-failed',
      endError: { code: 'server_error', message: 'boom' },
      revision: 2,
      toolCalls: [
        { name: 'lookup', arguments: { id: 7 }, result: { ok: true }, startedAt: '2026-11-24T10:00:00.010Z', durationMs: 35 },
        { name: 'broken', arguments: 'not json', error: 'timeout', startedAt: '2026-11-24T10:00:00.020Z', durationMs: 5000 },
      ],
    });
  });

  it('hands out snapshots that later events do not change', () => {
    const b = builder();
    b.assistantTranscript('a1', 'one two three four', T0);
    const first = b.snapshot();
    b.bargeIn([{ itemId: 'a1', playedMs: 1, sentMs: 2 }]);
    expect(first.transcript[0].text).toBe('one two three four');
    expect(b.dirty).toBe(true);
  });
});
