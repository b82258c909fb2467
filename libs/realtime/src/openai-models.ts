/**
 * What the gateway knows about OpenAI's models and endpoints without asking them: which models
 * take `reasoning`, whether a URL is Azure OpenAI's, and where the REST API sits next to the
 * Realtime WebSocket.
 */

/**
 * The reasoning Realtime models (`gpt-realtime-2`, `gpt-realtime-2.1`, `gpt-realtime-2.1-mini` and
 * their dated snapshots) take `reasoning: { effort }`; the others (`gpt-realtime`, `-1.5`, `-mini`)
 * do not, and an Azure deployment is named by its owner, so it is not recognised here.
 */
export function takesReasoning(model: string): boolean {
  return /^gpt-realtime-2(?:[.-]|$)/.test(model);
}

/** Hosts of Azure OpenAI resources, whose static keys go in an `api-key` header. */
const AZURE_OPENAI_HOST = /\.(?:openai\.azure\.com|cognitiveservices\.azure\.com)$/i;

export function isAzureOpenAIUrl(url: string): boolean {
  try {
    return AZURE_OPENAI_HOST.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/**
 * The REST API base next to a Realtime WebSocket URL: `wss://api.openai.com/v1/realtime` gives
 * `https://api.openai.com/v1`, Azure's `wss://R.openai.azure.com/openai/v1/realtime` gives
 * `https://R.openai.azure.com/openai/v1` (query and a trailing `/realtime` dropped, ws → http).
 */
export function apiBaseFromRealtimeUrl(realtimeUrl: string): string {
  const url = new URL(realtimeUrl);
  url.protocol = url.protocol === 'ws:' ? 'http:' : url.protocol === 'wss:' ? 'https:' : url.protocol;
  url.search = '';
  url.hash = '';
  url.pathname = url.pathname.replace(/\/+$/, '').replace(/\/realtime$/, '');
  return url.toString().replace(/\/+$/, '');
}
