import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TwilioRestClient } from '@app/telephony';
import type { CallAgentHost } from './call-agent-host';
import { VoicemailDrop, VoicemailDropOptions } from './voicemail-drop';

function setup(options: Partial<VoicemailDropOptions> = {}, twilio?: Partial<TwilioRestClient>) {
  const host = {
    state: 'active',
    callSid: 'CA123',
    log: { info: vi.fn(), warn: vi.fn() },
    hush: vi.fn(),
    end: vi.fn(),
    /** A Twilio request under way (awaitTwilio), and how the stream ended meanwhile. */
    twilioRequest: undefined as { streamEndedAs?: string } | undefined,
    awaitTwilio() {
      const request: { streamEndedAs?: string } = {};
      host.twilioRequest = request;
      return () => {
        if (host.twilioRequest === request) host.twilioRequest = undefined;
        return request.streamEndedAs;
      };
    },
  } as unknown as CallAgentHost & { hush: ReturnType<typeof vi.fn>; end: ReturnType<typeof vi.fn>; twilioRequest?: { streamEndedAs?: string } };
  const agent = { finishWith: vi.fn(() => true) };
  const control = { endNow: vi.fn(() => true) };
  const drop = new VoicemailDrop(host, agent, control, twilio as TwilioRestClient | undefined, {
    settings: { detection: 'both', action: 'leave-message', speak: 'assistant', message: 'Please call back.' },
    twilioDetection: true,
    modelDetection: true,
    greetingHoldMs: 1000,
    ...options,
  });
  return { host, agent, control, drop };
}

describe('VoicemailDrop', () => {
  afterEach(() => vi.useRealTimers());

  it('holds the greeting until a person answers, or the hold passes', () => {
    vi.useFakeTimers();
    const { drop } = setup();
    const greet = vi.fn();
    expect(drop.holdGreeting(greet)).toBe(true);
    drop.onAnsweredBy('human');
    expect(greet).toHaveBeenCalledTimes(1);

    const late = setup().drop;
    const greetLate = vi.fn();
    late.holdGreeting(greetLate);
    vi.advanceTimersByTime(999);
    expect(greetLate).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(greetLate).toHaveBeenCalledTimes(1);
  });

  it('at the beep (the only machine verdict with DetectMessageEnd) cuts the assistant talking over the greeting before the message', () => {
    vi.useFakeTimers();
    const { drop, host, agent } = setup({ greetingHoldMs: 3500 });
    const greet = vi.fn();
    drop.holdGreeting(greet);
    vi.advanceTimersByTime(3500); // a long greeting: the assistant's is released
    expect(greet).toHaveBeenCalled();
    drop.onAssistantResponse();
    drop.onAnsweredBy('machine_end_beep');
    expect(host.hush).toHaveBeenCalledTimes(1);
    expect(host.hush.mock.invocationCallOrder[0]).toBeLessThan(agent.finishWith.mock.invocationCallOrder[0]);
  });

  it('silences everything on machine_start, then only lets its own turn speak while dropping', () => {
    const { drop, host, agent } = setup();
    const greet = vi.fn();
    drop.holdGreeting(greet);
    drop.onAnsweredBy('machine_start');
    expect(host.hush).toHaveBeenCalled();
    expect(drop.silences(true)).toBe(true);
    drop.onAnsweredBy('machine_end_beep');
    expect(greet).not.toHaveBeenCalled();
    expect(agent.finishWith).toHaveBeenCalledWith('voicemail-left', expect.stringContaining('Please call back.'), 90_000);
    expect(drop.silences(true)).toBe(false);
    expect(drop.silences(false)).toBe(true);
    // A later verdict, or the model, cannot start a second drop.
    drop.onAnsweredBy('machine_end_other');
    expect(agent.finishWith).toHaveBeenCalledTimes(1);
    expect(drop.detectedByModel()).toMatchObject({ accepted: false });
    expect(drop.result('voicemail-left')).toEqual({ answeredBy: 'machine_end_beep', detectedBy: 'twilio', outcome: 'left', voicemailLeft: true });
    expect(drop.result('caller-hung-up')).toMatchObject({ outcome: 'failed', voicemailLeft: false });
  });

  it('hangs up at once on a fax', () => {
    const { drop, control } = setup();
    drop.onAnsweredBy('fax');
    expect(control.endNow).toHaveBeenCalledWith('answering-machine');
    expect(drop.result('answering-machine')).toMatchObject({ answeredBy: 'fax', outcome: 'fax', voicemailLeft: false });
  });

  it("lets the assistant leave the message when Twilio cannot say it", async () => {
    const redirectCall = vi.fn().mockRejectedValue(new Error('Call is not in-progress'));
    const { drop, agent, host } = setup({ settings: { detection: 'twilio', action: 'leave-message', speak: 'say', message: 'Hi.' } }, { isConfigured: true, redirectCall });
    drop.onAnsweredBy('machine_end_beep');
    await vi.waitFor(() => expect(agent.finishWith).toHaveBeenCalledWith('voicemail-left', expect.stringContaining('Hi.'), 90_000));
    expect(redirectCall).toHaveBeenCalledWith('CA123', expect.stringContaining('<Say>Hi.</Say><Hangup/>'));
    expect(host.end).not.toHaveBeenCalled();
  });

  it("Twilio's stop may come before its answer to the <Say> redirect: the answer decides whether the message was left", async () => {
    let answer!: () => void;
    const redirectCall = vi.fn(() => new Promise<void>((resolve) => (answer = resolve)));
    const { drop, host } = setup({ settings: { detection: 'twilio', action: 'leave-message', speak: 'say', message: 'Hi.' } }, { isConfigured: true, redirectCall });
    drop.onAnsweredBy('machine_end_beep');
    host.twilioRequest!.streamEndedAs = 'caller-hung-up'; // the stream stopped; the call waits for Twilio's answer
    answer();
    await new Promise((resolve) => setImmediate(resolve));
    expect(host.end).toHaveBeenCalledWith('voicemail-left');
    expect(drop.result('voicemail-left')).toMatchObject({ outcome: 'left', voicemailLeft: true });

    let refuse!: (error: Error) => void;
    const refused = setup({ settings: { detection: 'twilio', action: 'leave-message', speak: 'say', message: 'Hi.' } }, { isConfigured: true, redirectCall: vi.fn(() => new Promise<void>((_, reject) => (refuse = reject))) });
    refused.drop.onAnsweredBy('machine_end_beep');
    refused.host.twilioRequest!.streamEndedAs = 'caller-hung-up'; // the machine hung up meanwhile
    refuse(new Error('Call is not in-progress'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(refused.host.end).toHaveBeenCalledWith('caller-hung-up');
    expect(refused.agent.finishWith).not.toHaveBeenCalled();
    expect(refused.drop.result('caller-hung-up')).toMatchObject({ outcome: 'failed', voicemailLeft: false });
  });

  it('refuses the model when its detection is off, and reports nothing when no detection ran', () => {
    const { drop } = setup({ modelDetection: false });
    expect(drop.detectedByModel()).toEqual({ accepted: false, error: 'Voicemail detection is not available on this call.' });
    const none = setup({ modelDetection: false, twilioDetection: false }).drop;
    expect(none.holdGreeting(() => undefined)).toBe(false);
    expect(none.result('caller-hung-up')).toBeUndefined();
  });
});
