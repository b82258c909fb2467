import type { RealtimeAuthScheme } from './realtime-session';

/** The header carrying an OpenAI key: `Authorization: Bearer` (OpenAI) or `api-key` (Azure OpenAI); none without a key. */
export function openAiAuthHeaders(apiKey: string | undefined, auth: RealtimeAuthScheme | undefined): Record<string, string> {
  if (!apiKey) return {};
  return auth === 'api-key' ? { 'api-key': apiKey } : { authorization: `Bearer ${apiKey}` };
}
