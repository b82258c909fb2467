import { describe, expect, it } from 'vitest';
import { TranscriptRedactor } from '../privacy/transcript-redactor';
import { CallRecordBuilder } from './call-record.builder';
import type { CallPricing } from './cost';
import { PriceList } from './prices';

const PRICES = { inputText: 4, inputAudio: 32, cachedInputText: 0.4, cachedInputAudio: 0.4, outputText: 16, outputAudio: 64 };
const T0 = Date.parse('2026-11-24T10:00:00.000Z');

function builder(pricing: CallPricing = { model: 'gpt-realtime-test', prices: PRICES }) {
  return new CallRecordBuilder(
    { callSid: 'CA1', streamSid: 'MZ1', customParameters: { From: '+1555', To: '+1666' }, profile: 'sales', direction: 'inbound', startedAt: T0, model: pricing.model },
    pricing,
  );
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
      cachedInputTextTokens: 200,
      cachedInputAudioTokens: 800,
      outputTextTokens: 200,
      outputAudioTokens: 800,
      transcription: { turns: 0, seconds: 0, inputTextTokens: 0, inputAudioTokens: 0, outputTokens: 0 },
    });
    // Uncached: 200 text + 800 audio; cached 1000 (split like the input, no details given); output 200 text + 800 audio (USD per 1M).
    expect(cost.breakdown).toEqual({ inputText: 0.0008, inputAudio: 0.0256, cachedInput: 0.0004, outputText: 0.0032, outputAudio: 0.0512, transcription: 0 });
    expect(cost.total).toBeCloseTo(0.0812, 6);
    expect(cost.unpriced).toBeUndefined();
  });

  it('prices each call by its own model from the table, cached text and audio at their own rates', () => {
    const prices = new PriceList();
    const usage = {
      input_tokens: 1_000_000,
      output_tokens: 1_000_000,
      input_token_details: { text_tokens: 400_000, audio_tokens: 600_000, cached_tokens: 300_000, cached_tokens_details: { text_tokens: 100_000, audio_tokens: 200_000 } },
      output_token_details: { text_tokens: 250_000, audio_tokens: 750_000 },
    };
    const full = builder({ model: 'gpt-realtime-2.1', prices: prices.realtime('gpt-realtime-2.1') });
    const mini = builder({ model: 'gpt-realtime-2.1-mini-2026-12-01', prices: prices.realtime('gpt-realtime-2.1-mini-2026-12-01') });
    full.responseDone(usage);
    mini.responseDone(usage);
    // 2.1: 0.3M text × 4 + 0.4M audio × 32 + 0.1M × 0.40 + 0.2M × 0.40 + 0.25M × 24 + 0.75M × 64
    expect(full.snapshot().cost).toMatchObject({ total: 68.12, breakdown: { inputText: 1.2, inputAudio: 12.8, cachedInput: 0.12, outputText: 6, outputAudio: 48 } });
    // 2.1-mini (a dated snapshot): 0.3M × 0.60 + 0.4M × 10 + 0.1M × 0.06 + 0.2M × 0.30 + 0.25M × 2.40 + 0.75M × 20
    expect(mini.snapshot().cost).toMatchObject({ total: 19.846, breakdown: { inputText: 0.18, inputAudio: 4, cachedInput: 0.066, outputText: 0.6, outputAudio: 15 } });
    expect(mini.snapshot().model).toBe('gpt-realtime-2.1-mini-2026-12-01');
  });

  it('prices caller transcription per minute or per token, and names models it has no prices for', () => {
    const prices = new PriceList();
    const perMinute = builder({ model: 'gpt-realtime-2.1', prices: prices.realtime('gpt-realtime-2.1'), transcriptionModel: 'gpt-transcribe', transcriptionPrices: prices.transcription('gpt-transcribe') });
    perMinute.callerTranscript('c1', 'hello', T0, { type: 'duration', seconds: 90 });
    perMinute.callerTranscript('c2', '', T0, { type: 'duration', seconds: 30 });
    const minute = perMinute.snapshot();
    expect(minute.usage.transcription).toEqual({ turns: 2, seconds: 120, inputTextTokens: 0, inputAudioTokens: 0, outputTokens: 0 });
    expect(minute.cost.breakdown.transcription).toBe(0.009);
    expect(minute.cost.total).toBe(0.009);

    const perToken = builder({ model: 'gpt-realtime-2.1', prices: prices.realtime('gpt-realtime-2.1'), transcriptionModel: 'gpt-4o-mini-transcribe', transcriptionPrices: prices.transcription('gpt-4o-mini-transcribe') });
    perToken.callerTranscript('c1', 'hello', T0, { type: 'tokens', input_tokens: 1_000_000, output_tokens: 100_000, total_tokens: 1_100_000 });
    expect(perToken.snapshot().cost.breakdown.transcription).toBe(3.5);

    const azure = builder({ model: 'my-realtime-deployment', transcriptionModel: 'my-transcribe-deployment' });
    azure.responseDone({ input_tokens: 10, output_tokens: 10 });
    azure.callerTranscript('c1', 'hi', T0, { type: 'duration', seconds: 3 });
    expect(azure.snapshot().cost).toMatchObject({ total: 0, unpriced: ['my-realtime-deployment', 'my-transcribe-deployment'] });
  });

  it('marks a caller turn OpenAI could not transcribe, at the start of its speech', () => {
    const b = builder();
    b.callerSpeechStarted(T0 + 1000);
    b.callerTranscriptionFailed('c1', { code: 'audio_unintelligible', message: 'The audio could not be transcribed.' }, T0 + 2000);
    b.featureDropped('noise_reduction');
    b.featureDropped('noise_reduction');
    expect(b.snapshot()).toMatchObject({
      transcript: [{ role: 'caller', itemId: 'c1', at: '2026-11-24T10:00:01.000Z', text: '', transcriptionFailed: { code: 'audio_unintelligible', message: 'The audio could not be transcribed.' } }],
      droppedSessionFeatures: ['noise_reduction'],
    });
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

  it('redacts a failed tool call\'s error text like its arguments', () => {
    const b = new CallRecordBuilder(
      { callSid: 'CA1', customParameters: {}, profile: 'default', direction: 'inbound', startedAt: T0 },
      { model: 'gpt-realtime-test', prices: PRICES },
      new TranscriptRedactor(['email', 'phone']),
    );
    b.toolCalled({ name: 'book', arguments: '{"email":"ada@example.com"}', error: 'No booking for ada@example.com (+44 20 7946 0958)', startedAt: T0 + 10, durationMs: 5 });
    const [call] = b.snapshot().toolCalls;
    expect(call).toMatchObject({ arguments: { email: '[email]' }, error: 'No booking for [email] ([phone])' });
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
