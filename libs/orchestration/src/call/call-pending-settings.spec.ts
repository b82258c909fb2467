import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { RealtimeSession, RealtimeSessionConfig, RealtimeSessionListener } from '@app/realtime';
import type { MediaStreamListener, MediaStreamStart, TwilioMediaStream } from '@app/telephony';
import { Call } from './call';
import type { CallAgentListener, CallDependencies, CallSettings } from './call';

/** What the Call did while its settings were looked up (the assistant lookup), on fakes of both sockets. */
function pendingCall(model = 'gpt-realtime') {
  const log: string[] = [];
  let listener: MediaStreamListener | undefined;
  const stream = {
    setListener: (l: MediaStreamListener) => (listener = l),
    sendAudio: () => undefined,
    sendMark: () => undefined,
    sendClear: () => undefined,
    close: () => log.push('twilio close'),
  };
  let settle!: (settings: CallSettings) => void;
  const pending = new Promise<CallSettings>((resolve) => (settle = resolve));
  const sessions: Array<{ listener: RealtimeSessionListener; model: string | undefined }> = [];
  const call: Call = new Call({
    stream: stream as unknown as TwilioMediaStream,
    resolveSettings: () => ({ model, pending }),
    logger: pino({ level: 'silent' }),
    onEnded: () => undefined,
    events: { emit: (name: string) => void log.push(`event ${name}`) } as CallDependencies['events'],
    openSession: (sessionListener) => {
      const index = sessions.length;
      sessions.push({ listener: sessionListener, model: call.model });
      return {
        isReady: false,
        configure: (config: RealtimeSessionConfig) => log.push(`configure#${index} ${config.instructions}`),
        connect: () => log.push(`connect#${index} ${call.model}`),
        appendAudio: () => undefined,
        send: () => undefined,
        close: () => log.push(`close#${index}`),
      } as unknown as RealtimeSession;
    },
  });
  const start: MediaStreamStart = {
    streamSid: 'MZ1',
    callSid: 'CA1',
    accountSid: 'AC1',
    customParameters: { From: '+15550001111', To: '+15550002222' },
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    origin: 'twilio',
  };
  return { call, log, sessions, settle, start: () => listener!.onStreamStart(start) };
}

const settings = (model: string, instructions: string, agent?: CallAgentListener): CallSettings => ({
  profile: 'looked-up',
  session: { type: 'realtime', model, instructions } as RealtimeSessionConfig,
  greeting: '',
  agent,
});

describe('Call with pending settings (the assistant lookup)', () => {
  it('opens the OpenAI socket at once and configures it, and announces the call, when the settings come', async () => {
    const h = pendingCall();
    h.start();
    expect(h.log).toEqual(['connect#0 gpt-realtime']);
    expect(h.call.model).toBe('gpt-realtime');
    h.settle(settings('gpt-realtime', 'looked up'));
    await Promise.resolve();
    await Promise.resolve();
    expect(h.log).toEqual(['connect#0 gpt-realtime', 'event callStarted', 'configure#0 looked up']);
    expect(h.call.profile).toBe('looked-up');
  });

  it('reopens the socket when the chosen profile runs another model', async () => {
    const h = pendingCall();
    h.start();
    h.settle(settings('gpt-realtime-mini', 'mini'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.log).toEqual(['connect#0 gpt-realtime', 'event callStarted', 'close#0', 'configure#1 mini', 'connect#1 gpt-realtime-mini']);
  });

  it('a caller who hangs up during the lookup is still announced and ended once; late settings are disposed', async () => {
    const h = pendingCall();
    h.start();
    h.call.onStreamStop();
    let disposed = 0;
    const agent = { dispose: () => disposed++ } as unknown as CallAgentListener;
    h.settle(settings('gpt-realtime', 'late', agent));
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.log.filter((line) => line.startsWith('event'))).toEqual(['event callStarted', 'event callEnded']);
    expect(h.log).not.toContain('configure#0 late');
    expect(disposed).toBe(1);
  });
});
