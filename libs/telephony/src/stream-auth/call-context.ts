import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** What an outbound call was placed with: the assistant profile and the variables for its instructions and tools. */
export interface CallContext {
  profile?: string;
  variables: Readonly<Record<string, string>>;
  /** Who placed it (the API key's id, which names the key without revealing it), for whichever pod serves the call. */
  placedBy?: string;
}

/**
 * The longest sealed context (characters). It rides in the webhook URL's query and then, split into
 * `<Parameter>`s of under 500 characters each (Twilio's limit per name plus value), in the TwiML;
 * about 2,000 characters keeps both well inside what Twilio accepts.
 */
export const MAX_SEALED_CONTEXT_LENGTH = 1900;
/** The query parameter of the voice webhook URL that carries a sealed context. */
export const CALL_CONTEXT_QUERY = 'context';
/** `<Parameter>` names of the context's chunks: CallContext.1, CallContext.2, … */
export const CALL_CONTEXT_PARAMETER = 'CallContext';
const CHUNK_LENGTH = 480;
const SEALED = /^c1\.[A-Za-z0-9_-]{40,2000}$/;

export class CallContextTooLargeError extends Error {
  constructor(readonly length: number) {
    super(
      `profile and variables take ${length} characters once sealed; at most ${MAX_SEALED_CONTEXT_LENGTH} fit in what Twilio carries ` +
        'to the media stream: send fewer or shorter variables',
    );
    this.name = 'CallContextTooLargeError';
  }
}

/**
 * Seals a call context so it can travel with the call through Twilio (the webhook URL, then the
 * TwiML's `<Parameter>`s) and be opened by whichever pod serves the stream: AES-256-GCM under the
 * call-context key, with an expiry inside. Sealed, it is opaque (no caller data in URLs or access
 * logs) and cannot be altered; the stream token binds it to its call.
 */
export class CallContextSeal {
  constructor(
    private readonly key: Buffer,
    private readonly ttlMs = 60 * 60_000,
  ) {}

  /** Throws CallContextTooLargeError when the sealed text would exceed MAX_SEALED_CONTEXT_LENGTH. */
  seal(context: CallContext, now = Date.now()): string {
    const plain = JSON.stringify({ e: Math.ceil((now + this.ttlMs) / 1000), p: context.profile, v: context.variables, k: context.placedBy });
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = 'c1.' + Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64url');
    if (sealed.length > MAX_SEALED_CONTEXT_LENGTH) throw new CallContextTooLargeError(sealed.length);
    return sealed;
  }

  /** The context, or undefined when the text was not sealed with this key, was altered, or has expired. */
  open(sealed: string | undefined, now = Date.now()): CallContext | undefined {
    if (typeof sealed !== 'string' || !SEALED.test(sealed)) return undefined;
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    if (bytes.length < 12 + 16 + 2) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      const plain = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
      const { e, p, v, k } = JSON.parse(plain) as { e: number; p?: string; v?: Record<string, string>; k?: string };
      if (typeof e !== 'number' || e * 1000 <= now) return undefined;
      return { profile: typeof p === 'string' ? p : undefined, variables: isStringRecord(v) ? v : {}, placedBy: typeof k === 'string' ? k : undefined };
    } catch {
      return undefined;
    }
  }
}

/** The digest a stream token binds: SHA-256 of the sealed text, base64url; empty without a context. */
export function callContextDigest(sealed: string | undefined): string {
  return sealed ? createHash('sha256').update(sealed).digest('base64url') : '';
}

/** The sealed context as `<Parameter>`s: CallContext.1, CallContext.2, … (each name plus value under 500 characters). */
export function callContextParameters(sealed: string): Array<{ name: string; value: string }> {
  const parameters: Array<{ name: string; value: string }> = [];
  for (let i = 0; i * CHUNK_LENGTH < sealed.length; i++) {
    parameters.push({ name: `${CALL_CONTEXT_PARAMETER}.${i + 1}`, value: sealed.slice(i * CHUNK_LENGTH, (i + 1) * CHUNK_LENGTH) });
  }
  return parameters;
}

/** Joins the CallContext.N parameters of a stream's `start` back into the sealed text (undefined without any). */
export function sealedContextFrom(parameters: Readonly<Record<string, string>>): string | undefined {
  let sealed = '';
  for (let i = 1; i <= 8; i++) {
    const chunk = parameters[`${CALL_CONTEXT_PARAMETER}.${i}`];
    if (chunk === undefined) break;
    sealed += chunk;
  }
  return sealed === '' ? undefined : sealed;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}
