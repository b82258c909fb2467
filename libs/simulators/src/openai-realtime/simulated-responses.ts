import type { Response as OpenAIResponse, ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses';

/** An answer of the simulated Responses API: the HTTP status and the JSON body. */
export interface SimulatedResponsesAnswer {
  status: number;
  body: unknown;
}

type Schema = Record<string, unknown>;

/** Roughly OpenAI's ratio for English text: a token per four characters. */
const tokens = (text: string) => Math.ceil(text.length / 4);

/**
 * `POST /v1/responses` as OpenAI answers a non-streaming request for structured output
 * (`text.format` of type `json_schema`): a completed response whose one output message holds a
 * JSON text valid against the schema, and a usage block. The output is deterministic and derived
 * from the input, so tests can check it: `summary` is "Simulated summary: " + the input's last line
 * (at most 120 characters); `success` is true when the input has an `Assistant:` line, else null;
 * any other string is "<name>: <input characters>", numbers are the input's line count, booleans
 * true, enums their first value, arrays empty.
 */
export function answerResponsesRequest(raw: string, knownModel: (model: string) => boolean): SimulatedResponsesAnswer {
  const invalid = (message: string, param: string | null = null): SimulatedResponsesAnswer => ({
    status: 400,
    body: { error: { message, type: 'invalid_request_error', param, code: null } },
  });
  let request: ResponseCreateParamsNonStreaming;
  try {
    request = JSON.parse(raw) as ResponseCreateParamsNonStreaming;
  } catch {
    return invalid('We could not parse the JSON body of your request.');
  }
  if (typeof request.model !== 'string' || request.model === '') return invalid("Missing required parameter: 'model'.", 'model');
  if (!knownModel(request.model)) {
    return { status: 404, body: { error: { message: `The model '${request.model}' does not exist or you do not have access to it.`, type: 'invalid_request_error', param: null, code: 'model_not_found' } } };
  }
  if (typeof request.input !== 'string' && !Array.isArray(request.input)) return invalid("Missing required parameter: 'input'.", 'input');
  const input = typeof request.input === 'string' ? request.input : JSON.stringify(request.input);
  const format = request.text?.format;
  let text: string;
  if (format?.type === 'json_schema') {
    if (!isObject(format.schema) || format.schema.type !== 'object') return invalid("Invalid schema for response_format: schema must be a JSON Schema of 'type: \"object\"'.", 'text.format.schema');
    const strictProblem = format.strict ? strictSchemaProblem(format.schema, 'text.format.schema') : undefined;
    if (strictProblem) return invalid(`Invalid schema for response_format '${format.name}': ${strictProblem}`, 'text.format.schema');
    text = JSON.stringify(valueFor(format.schema, 'output', input));
  } else {
    text = `Simulated answer to ${tokens(input)} tokens of input.`;
  }
  const inputTokens = tokens((request.instructions ?? '') + input);
  const outputTokens = tokens(text);
  const created = Math.floor(Date.now() / 1000);
  const body: Partial<OpenAIResponse> = {
    id: `resp_sim_${created.toString(36)}${Math.random().toString(36).slice(2, 10)}`,
    object: 'response',
    created_at: created,
    status: 'completed',
    error: null,
    incomplete_details: null,
    model: request.model,
    output: [{ type: 'message', id: 'msg_sim', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }],
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    },
  };
  return { status: 200, body };
}

/** OpenAI's strict mode: every object lists all its properties as required and sets additionalProperties false. */
function strictSchemaProblem(schema: Schema, path: string): string | undefined {
  if (isObject(schema.properties)) {
    const required = Array.isArray(schema.required) ? schema.required : [];
    const missing = Object.keys(schema.properties).find((name) => !required.includes(name));
    if (missing) return `In context=(${path}), 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing}'.`;
    if (schema.additionalProperties !== false) return `In context=(${path}), 'additionalProperties' is required to be supplied and to be false.`;
    for (const [name, child] of Object.entries(schema.properties)) {
      const problem = isObject(child) ? strictSchemaProblem(child, `${path}.properties.${name}`) : undefined;
      if (problem) return problem;
    }
  }
  if (isObject(schema.items)) return strictSchemaProblem(schema.items, `${path}.items`);
  return undefined;
}

function valueFor(schema: Schema, name: string, input: string): unknown {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  const type = types.find((t) => t !== 'null') ?? 'null';
  const lines = input.split('\n');
  switch (type) {
    case 'object': {
      const properties = isObject(schema.properties) ? schema.properties : {};
      return Object.fromEntries(Object.entries(properties).map(([key, child]) => [key, isObject(child) ? valueFor(child, key, input) : null]));
    }
    case 'string':
      if (name === 'summary') return `Simulated summary: ${lines.at(-1)!.slice(0, 120)}`;
      return `${name}: ${input.length}`;
    case 'boolean':
      if (name === 'success') return /^Assistant:/m.test(input) ? true : types.includes('null') ? null : false;
      return true;
    case 'integer':
    case 'number':
      return lines.length;
    case 'array':
      return [];
    default:
      return null;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
