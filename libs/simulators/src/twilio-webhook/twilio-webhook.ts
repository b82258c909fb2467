import twilio from 'twilio';

/** One voice-webhook request, as Twilio makes it when a call comes in (or an outbound call is answered). */
export interface TwilioWebhookRequest {
  /** Where to POST: the gateway's `/incoming-call` (with the query Twilio was given, e.g. an outbound call's context). */
  url: string;
  /** The URL Twilio signs: the public URL it was configured with (default: `url`). */
  signedUrl?: string;
  /** Signs the request as Twilio does (X-Twilio-Signature) when given. */
  authToken?: string;
  form: Record<string, string>;
}

export interface TwilioWebhookAnswer {
  status: number;
  twiml: string;
}

/** POSTs the webhook like Twilio: form-encoded, signed over the signed URL and the form when an auth token is given. */
export async function postTwilioWebhook(request: TwilioWebhookRequest): Promise<TwilioWebhookAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (request.authToken) headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(request.authToken, request.signedUrl ?? request.url, request.form);
  const response = await fetch(request.url, { method: 'POST', headers, body: new URLSearchParams(request.form) });
  return { status: response.status, twiml: await response.text() };
}

/** The `<Stream url>` and its `<Parameter>`s from the gateway's `<Connect>` TwiML. */
export function parseConnectTwiml(twiml: string): { streamUrl: string; parameters: Record<string, string> } {
  // As an XML parser (Twilio's) reads attribute values: named and numeric character references.
  const unescape = (s: string) =>
    s
      .replace(/&#x([0-9a-fA-F]+);/g, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
      .replace(/&#(\d+);/g, (_m, dec: string) => String.fromCodePoint(Number(dec)))
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const stream = /<Stream\b[^>]*\burl="([^"]+)"/.exec(twiml);
  if (!stream) throw new Error('the webhook did not answer with <Connect><Stream> TwiML');
  const parameters: Record<string, string> = {};
  for (const match of twiml.matchAll(/<Parameter\b[^>]*\bname="([^"]*)"[^>]*\bvalue="([^"]*)"/g)) parameters[unescape(match[1])] = unescape(match[2]);
  return { streamUrl: unescape(stream[1]), parameters };
}
