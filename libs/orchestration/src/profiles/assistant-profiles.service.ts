import { Inject, Injectable } from '@nestjs/common';
import type { MediaStreamStart } from '@app/telephony';
import { ORCHESTRATION_OPTIONS } from '../orchestration.module-definition';
import type { OrchestrationModuleOptions } from '../orchestration.module-definition';
import type { RealtimeNoiseReductionType, RealtimeReasoningEffort } from '@app/realtime';
import type { AssistantOptions, AssistantProfile, RecordingSettings, TurnDetectionSettings, VoicemailSettings } from './assistant-options';
import { interpolate } from './interpolate';

export const DEFAULT_PROFILE = 'default';

/** What the assistant lookup's answer replaces in the call's profile (every field optional). */
export interface ProfileOverride {
  /** A configured profile name (checked by the caller with `has`). */
  profile?: string;
  /** Instructions template, interpolated like a profile's. */
  instructions?: string;
  /** More variables for the templates and the tools, over the stream's parameters. */
  variables?: Record<string, string>;
  tools?: string[];
  greeting?: string;
}

/** A profile with every field filled in and the call's variables interpolated. */
export interface ResolvedProfile {
  name: string;
  /** Outbound when the call was placed through POST /calls (its stream carried the sealed context). */
  direction: 'inbound' | 'outbound';
  voice: string;
  instructions: string;
  greeting: string;
  /** undefined: every available tool. */
  tools?: string[];
  turnDetection: TurnDetectionSettings;
  /** The profile's own Realtime model; undefined: the gateway's default model. */
  model?: string;
  reasoningEffort?: RealtimeReasoningEffort;
  /** undefined: off. */
  noiseReduction?: RealtimeNoiseReductionType;
  transcriptionLanguages?: string[];
  /** Stream `<Parameter>`s and outbound context variables, for tools. */
  parameters: Record<string, string>;
  /** Voicemail detection and drop; its message with the call's variables filled in. */
  voicemail: VoicemailSettings;
  recording: RecordingSettings;
}

/**
 * The assistants this gateway runs: the default one, plus the named profiles.
 * An outbound call gets the profile it was placed with (its context travels with the call, so any pod
 * serving the stream knows it); an inbound call the one mapped to the dialled number.
 */
@Injectable()
export class AssistantProfiles {
  private readonly byNumber = new Map<string, string>();
  private readonly assistant: AssistantOptions;

  constructor(@Inject(ORCHESTRATION_OPTIONS) options: Pick<OrchestrationModuleOptions, 'assistant'>) {
    this.assistant = options.assistant;
    for (const [name, profile] of Object.entries(this.assistant.profiles)) {
      for (const number of profile.numbers ?? []) this.byNumber.set(number, name);
    }
  }

  has(name: string): boolean {
    return name === DEFAULT_PROFILE || name in this.assistant.profiles;
  }

  names(): string[] {
    return [...new Set([DEFAULT_PROFILE, ...Object.keys(this.assistant.profiles)])];
  }

  /** The profile a call gets: an outbound call's own, else the one of the dialled number, else the default. */
  nameFor(call: { to?: string; profile?: string }): string {
    const wanted = call.profile ?? (call.to ? this.byNumber.get(call.to) : undefined) ?? DEFAULT_PROFILE;
    return this.has(wanted) ? wanted : DEFAULT_PROFILE;
  }

  /** The voicemail settings of a profile (the message not interpolated). */
  voicemailOf(name: string): VoicemailSettings {
    return { ...this.assistant.voicemail, ...stripUndefined(this.assistant.profiles[name]?.voicemail ?? {}) };
  }

  /** The recording settings of a profile. */
  recordingOf(name: string): RecordingSettings {
    return { ...this.assistant.recording, ...stripUndefined(this.assistant.profiles[name]?.recording ?? {}) };
  }

  /** With Twilio's detection, how long an outbound call's greeting waits for AnsweredBy. */
  get voicemailGreetingHoldMs(): number {
    return this.assistant.voicemailGreetingHoldMs;
  }

  /**
   * The call's profile: chosen by the sealed outbound context or the dialled number, unless
   * `override` (the assistant lookup's answer, already checked) names another; its instructions,
   * greeting, variables and tools replace the profile's where given.
   */
  resolve(start: MediaStreamStart, override: ProfileOverride = {}): ResolvedProfile {
    const params = start.customParameters;
    const outbound = start.context;
    const wanted = override.profile ?? this.nameFor({ to: params.To, profile: outbound?.profile });
    const name = this.has(wanted) ? wanted : DEFAULT_PROFILE;
    const profile: AssistantProfile = this.assistant.profiles[name] ?? {};
    const parameters = { ...params, ...outbound?.variables, ...override.variables };
    const variables: Record<string, string> = { ...parameters, from: params.From ?? '', to: params.To ?? '', callSid: start.callSid };
    let instructions = interpolate(override.instructions ?? profile.instructions ?? this.assistant.instructions, variables);
    if (profile.language) instructions += `\n\nAlways speak ${profile.language}, whatever language the caller uses, unless they ask you to switch.`;
    return {
      name,
      direction: outbound ? 'outbound' : 'inbound',
      voice: profile.voice ?? this.assistant.voice,
      instructions,
      greeting: interpolate(override.greeting ?? profile.greeting ?? this.assistant.greeting, variables),
      tools: override.tools ?? profile.tools ?? this.assistant.tools,
      turnDetection: { ...this.assistant.turnDetection, ...stripUndefined(profile.turnDetection ?? {}) },
      model: profile.model,
      reasoningEffort: profile.reasoningEffort ?? this.assistant.reasoningEffort,
      noiseReduction: profile.noiseReduction === undefined ? this.assistant.noiseReduction : profile.noiseReduction === 'off' ? undefined : profile.noiseReduction,
      transcriptionLanguages: profile.transcriptionLanguages ?? this.assistant.transcriptionLanguages,
      parameters,
      voicemail: (() => {
        const voicemail = this.voicemailOf(name);
        // Spoken by the assistant, the message goes into its instructions (values quoted, as data); said by Twilio, as plain text.
        return voicemail.message ? { ...voicemail, message: interpolate(voicemail.message, variables, { quoted: voicemail.speak !== 'say' }) } : voicemail;
      })(),
      recording: this.recordingOf(name),
    };
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
