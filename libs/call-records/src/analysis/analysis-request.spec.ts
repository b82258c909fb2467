import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { answerResponsesRequest } from '@app/simulators';
import type { CallRecord } from '../record/call-record';
import { analysisRequest, analysisSchema, readAnalysisAnswer, strictSchema, transcriptText } from './analysis-request';

const record = {
  callSid: 'CA1',
  direction: 'inbound',
  assistantProfile: 'support',
  transcript: [
    { role: 'assistant', itemId: 'i1', at: '2026-12-01T10:00:00.000Z', text: 'Hello, how can I help?' },
    { role: 'caller', itemId: 'i2', at: '2026-12-01T10:00:02.000Z', text: '' },
    { role: 'caller', itemId: 'i3', at: '2026-12-01T10:00:03.000Z', text: 'I would like to book a table.' },
  ],
} as unknown as CallRecord;

const fields = { type: 'object', properties: { intent: { type: 'string', enum: ['booking', 'complaint'] }, partySize: { type: ['integer', 'null'] }, notes: { type: 'object', properties: { vip: { type: 'boolean' } } } } };

describe('the analysis request', () => {
  it('makes a profile schema strict: every property required, nothing else allowed, at every level', () => {
    expect(strictSchema(fields)).toEqual({
      type: 'object',
      properties: {
        intent: { type: 'string', enum: ['booking', 'complaint'] },
        partySize: { type: ['integer', 'null'] },
        notes: { type: 'object', properties: { vip: { type: 'boolean' } }, required: ['vip'], additionalProperties: false },
      },
      required: ['intent', 'partySize', 'notes'],
      additionalProperties: false,
    });
  });

  it('sends the transcript (turns with words) and a strict json_schema format, not stored at OpenAI', () => {
    expect(transcriptText(record)).toBe('Assistant: Hello, how can I help?\nCaller: I would like to book a table.');
    const request = analysisRequest(record, 'gpt-5.4-mini', 'Success: a booking.', fields);
    expect(request).toMatchObject({ model: 'gpt-5.4-mini', store: false, text: { format: { type: 'json_schema', name: 'call_analysis', strict: true } } });
    expect(request.instructions).toMatch(/Success: a booking\.$/);
    expect(request.input).toContain('Caller: I would like to book a table.');
  });

  it("reads the simulator's answer, which is valid against the schema the request gives", () => {
    const request = analysisRequest(record, 'gpt-5.4-mini', undefined, fields);
    const { status, body } = answerResponsesRequest(JSON.stringify(request), () => true);
    expect(status).toBe(200);
    const answer = readAnalysisAnswer(body as never);
    expect(new Ajv({ strict: false }).validate(analysisSchema(fields), answer.output)).toBe(true);
    expect(answer.output).toEqual({
      summary: 'Simulated summary: Caller: I would like to book a table.',
      success: true,
      fields: { intent: 'booking', partySize: 4, notes: { vip: true } },
    });
    expect(answer.usage.inputTokens).toBeGreaterThan(50);
    expect(answer.usage.outputTokens).toBeGreaterThan(10);
    // OpenAI (and the simulator) refuse a schema strict mode cannot take.
    const loose = { ...request, text: { format: { type: 'json_schema', name: 'x', strict: true, schema: fields } } };
    expect(answerResponsesRequest(JSON.stringify(loose), () => true)).toMatchObject({ status: 400, body: { error: { param: 'text.format.schema' } } });
  });

  it('refuses answers without a usable analysis, keeping their billed tokens', () => {
    const usage = { input_tokens: 100, input_tokens_details: { cached_tokens: 20 }, output_tokens: 5 };
    const message = (content: unknown[]) => ({ status: 'completed', usage, output: [{ type: 'message', role: 'assistant', content }] }) as never;
    expect(() => readAnalysisAnswer({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage } as never)).toThrow('the response is incomplete (max_output_tokens)');
    expect(() => readAnalysisAnswer(message([{ type: 'refusal', refusal: 'no' }]))).toThrow(/refused/);
    expect(() => readAnalysisAnswer(message([{ type: 'output_text', text: 'not json' }]))).toThrow('the output is not JSON');
    expect(() => readAnalysisAnswer(message([{ type: 'output_text', text: '{"summary":1}' }]))).toThrow(/does not match/);
    try {
      readAnalysisAnswer(message([]));
    } catch (error) {
      expect((error as { usage: unknown }).usage).toEqual({ inputTokens: 100, cachedInputTokens: 20, outputTokens: 5 });
    }
  });
});
