import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import type { MediaStreamStart } from '@app/telephony';
import { OutboundCallRegistry } from '../outbound/outbound-call-registry.service';
import type { AssistantOptions, AssistantProfile } from './assistant-options';
import { AssistantProfiles } from './assistant-profiles.service';
import { interpolate } from './interpolate';

const assistant = {
  voice: 'alloy',
  instructions: 'Default for {{From}}.',
  greeting: 'Hi.',
  turnDetection: { threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500 },
} as AssistantOptions;

function profiles(definitions: Record<string, AssistantProfile>, outbound = new OutboundCallRegistry()) {
  return new AssistantProfiles({ assistant: { ...assistant, profiles: definitions, tools: undefined } }, outbound);
}

const start = (customParameters: Record<string, string>, callSid = 'CA1'): MediaStreamStart => ({
  streamSid: 'MZ1',
  callSid,
  accountSid: 'AC1',
  customParameters,
  mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
});

describe('interpolate', () => {
  it('fills known placeholders and empties unknown ones', () => {
    expect(interpolate('Hi {{ name }}, order {{order}}{{missing}}.', { name: 'Ada', order: '42' })).toBe('Hi Ada, order 42.');
    expect(interpolate('no {placeholders} here', {})).toBe('no {placeholders} here');
  });
});

describe('AssistantProfiles', () => {
  it('uses the default assistant when no profile matches, interpolating the call details', () => {
    const resolved = profiles({}).resolve(start({ From: '+1555', To: '+1666' }));
    expect(resolved).toMatchObject({ name: 'default', voice: 'alloy', instructions: 'Default for +1555.', greeting: 'Hi.', tools: undefined });
  });

  it('picks the profile of the dialled number and merges it over the default', () => {
    const p = profiles({ sales: { numbers: ['+15550001111'], greeting: 'Sales here, {{from}}.', turnDetection: { threshold: 0.8 } } });
    const resolved = p.resolve(start({ From: '+15551234567', To: '+15550001111' }));
    expect(resolved).toMatchObject({ name: 'sales', voice: 'alloy', instructions: 'Default for +15551234567.', greeting: 'Sales here, +15551234567.' });
    expect(resolved.turnDetection).toEqual({ threshold: 0.8, prefixPaddingMs: 300, silenceDurationMs: 500 });
  });

  it('gives an outbound call the profile and variables it was placed with, once', () => {
    const outbound = new OutboundCallRegistry();
    const p = profiles({ reminders: { instructions: 'Remind {{name}}.' } }, outbound);
    outbound.remember('CA9', { profile: 'reminders', variables: { name: 'Ada' } });
    const first = p.resolve(start({ To: '+15553334444' }, 'CA9'));
    expect(first).toMatchObject({ name: 'reminders', direction: 'outbound', instructions: 'Remind Ada.', parameters: { To: '+15553334444', name: 'Ada' } });
    const again = p.resolve(start({ To: '+15553334444' }, 'CA9'));
    expect(again).toMatchObject({ name: 'default', direction: 'inbound' });
  });

  it('forgets outbound contexts that were never answered', () => {
    const outbound = new OutboundCallRegistry();
    outbound.remember('CA9', { profile: 'reminders', variables: {} }, 0);
    expect(outbound.take('CA9', 11 * 60_000)).toBeUndefined();
  });
});
