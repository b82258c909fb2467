// class-transformer's @Type needs the Reflect metadata API; the app's main.ts loads it first.
import 'reflect-metadata';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAssistantProfiles } from './assistant-profiles';

describe('parseAssistantProfiles', () => {
  it('reads profiles from JSON text or from a file named with @', () => {
    const json = JSON.stringify({ sales: { numbers: ['+15550001111'], voice: 'verse', tools: ['end_call'], turnDetection: { threshold: 0.7 } } });
    expect(parseAssistantProfiles(json).sales).toMatchObject({ numbers: ['+15550001111'], voice: 'verse', tools: ['end_call'], turnDetection: { threshold: 0.7 } });
    const file = join(mkdtempSync(join(tmpdir(), 'profiles-')), 'profiles.json');
    writeFileSync(file, json);
    expect(Object.keys(parseAssistantProfiles(`@${file}`))).toEqual(['sales']);
    expect(parseAssistantProfiles(undefined)).toEqual({});
  });

  it('names every problem in one error', () => {
    const bad = JSON.stringify({
      sales: { numbers: ['555-1234'], turnDetection: { threshold: 3 }, colour: 'red' },
      support: { numbers: ['+15550001111'] },
      other: { numbers: ['+15550001111'] },
    });
    let message = '';
    try {
      parseAssistantProfiles(bad);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^ASSISTANT_PROFILES: /);
    expect(message).toContain('sales.numbers: numbers must be E.164');
    expect(message).toContain('sales.turnDetection.threshold');
    expect(message).toContain('sales.colour');
    expect(message).toContain('other.numbers: +15550001111 already belongs to profile support');
  });

  it('reads voicemail and recording settings, and names what is wrong with them', () => {
    const good = JSON.stringify({
      campaign: { voicemail: { detection: 'both', action: 'leave-message', message: 'Hi {{name}}.', speak: 'say' }, recording: { enabled: true, disclosure: 'Recorded.' } },
    });
    expect(parseAssistantProfiles(good).campaign).toMatchObject({
      voicemail: { detection: 'both', action: 'leave-message', message: 'Hi {{name}}.', speak: 'say' },
      recording: { enabled: true, disclosure: 'Recorded.' },
    });
    const bad = JSON.stringify({
      campaign: { voicemail: { detection: 'sometimes', action: 'shout', message: 'x'.repeat(1001), speak: 'robot', beep: true }, recording: { enabled: 'yes' } },
    });
    const message = (() => {
      try {
        parseAssistantProfiles(bad);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    for (const problem of ['voicemail.detection: detection must be one of', 'voicemail.action', 'voicemail.message: message must be shorter', 'voicemail.speak', 'voicemail.beep', 'recording.enabled: enabled must be a boolean']) {
      expect(message).toContain(`campaign.${problem}`);
    }
  });

  it('refuses text that is not a JSON object of profiles', () => {
    expect(() => parseAssistantProfiles('{nope')).toThrow(/ASSISTANT_PROFILES: cannot read it as JSON/);
    expect(() => parseAssistantProfiles('[]')).toThrow(/must be a JSON object/);
    expect(() => parseAssistantProfiles('@/does/not/exist.json')).toThrow(/ASSISTANT_PROFILES/);
  });
});
