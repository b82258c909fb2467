import type { Response as OpenAIResponse, ResponseCreateParamsNonStreaming, ResponseOutputMessage } from 'openai/resources/responses/responses';
import type { CallRecord } from '../record/call-record';
import type { TextUsage } from '../record/cost';

/** The gateway's own analysis instructions; a profile's are added after them. */
export const ANALYSIS_INSTRUCTIONS =
  'You analyse a finished phone call between a caller and a voice assistant. From the transcript, write `summary`: ' +
  'two or three sentences on what the caller wanted and what happened. Set `success` to true when the call achieved ' +
  "its purpose, false when it did not, null when the transcript does not tell. Fill in `fields` from the call; never invent what was not said.";

/** A JSON schema object, as given in a profile. */
export type JsonSchema = Record<string, unknown>;

/**
 * The schema as OpenAI's strict structured outputs need it: every object lists all its
 * properties as required and allows no others (a field that may be missing is typed with `null`).
 */
export function strictSchema(schema: JsonSchema): JsonSchema {
  const copy: JsonSchema = { ...schema };
  const properties = copy.properties;
  if (isObject(properties)) {
    copy.properties = Object.fromEntries(Object.entries(properties).map(([name, value]) => [name, isObject(value) ? strictSchema(value) : value]));
    copy.required = Object.keys(properties);
    copy.additionalProperties = false;
  }
  if (isObject(copy.items)) copy.items = strictSchema(copy.items);
  return copy;
}

/** The structured output asked for: summary, success and the profile's fields (an empty object without a schema). */
export function analysisSchema(fields: JsonSchema | undefined): JsonSchema {
  return strictSchema({
    type: 'object',
    properties: {
      summary: { type: 'string', description: 'Two or three sentences: what the caller wanted and what happened.' },
      success: { type: ['boolean', 'null'], description: 'Whether the call achieved its purpose; null when the transcript does not tell.' },
      fields: fields ?? { type: 'object', properties: {} },
    },
  });
}

/** The transcript as the text model reads it: one line per turn, with who spoke. */
export function transcriptText(record: CallRecord): string {
  return record.transcript
    .filter((turn) => turn.text.trim() !== '')
    .map((turn) => `${turn.role === 'caller' ? 'Caller' : 'Assistant'}: ${turn.text}`)
    .join('\n');
}

/** The Responses API request of one call's analysis. */
export function analysisRequest(record: CallRecord, model: string, instructions: string | undefined, fields: JsonSchema | undefined): ResponseCreateParamsNonStreaming {
  return {
    model,
    instructions: instructions ? `${ANALYSIS_INSTRUCTIONS}\n\n${instructions}` : ANALYSIS_INSTRUCTIONS,
    input: `Call ${record.callSid} (${record.direction}, assistant profile ${record.assistantProfile}).\nTranscript:\n${transcriptText(record)}`,
    text: { format: { type: 'json_schema', name: 'call_analysis', strict: true, schema: analysisSchema(fields) } },
    // The transcript is not kept by OpenAI beyond the request.
    store: false,
  };
}

/** What the text model answered: its JSON output and the tokens it took. */
export interface AnalysisAnswer {
  output: { summary: string; success: boolean | null; fields: Record<string, unknown> };
  usage: TextUsage;
}

/** Reads a Responses API answer; throws (with no transcript text in the message) when it holds no usable analysis. */
export function readAnalysisAnswer(body: Partial<OpenAIResponse>): AnalysisAnswer {
  const usage: TextUsage = {
    inputTokens: body.usage?.input_tokens ?? 0,
    cachedInputTokens: body.usage?.input_tokens_details?.cached_tokens ?? 0,
    outputTokens: body.usage?.output_tokens ?? 0,
  };
  if (body.status && body.status !== 'completed') {
    throw new AnalysisAnswerError(`the response is ${body.status}${body.incomplete_details?.reason ? ` (${body.incomplete_details.reason})` : ''}`, usage);
  }
  const message = (body.output ?? []).find((item): item is ResponseOutputMessage => item.type === 'message');
  if (message?.content.some((part) => part.type === 'refusal')) throw new AnalysisAnswerError('the model refused to analyse the call', usage);
  const text = message?.content.find((part) => part.type === 'output_text')?.text;
  if (text === undefined) throw new AnalysisAnswerError('the response has no output text', usage);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AnalysisAnswerError('the output is not JSON', usage);
  }
  if (!isObject(parsed) || typeof parsed.summary !== 'string' || !(typeof parsed.success === 'boolean' || parsed.success === null)) {
    throw new AnalysisAnswerError('the output does not match the analysis schema', usage);
  }
  return { output: { summary: parsed.summary, success: parsed.success, fields: isObject(parsed.fields) ? parsed.fields : {} }, usage };
}

/** An answer without a usable analysis; its tokens were still billed. */
export class AnalysisAnswerError extends Error {
  constructor(
    message: string,
    readonly usage: TextUsage,
  ) {
    super(message);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
