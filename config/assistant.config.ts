import type { AssistantOptions } from '@app/orchestration';
import { IsInt, IsNumber, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { parseAssistantProfiles } from './assistant-profiles';
import { commaSeparated, ToNumber } from './config-owner';
import type { ConfigOwner } from './config-owner';

const SEED_INSTRUCTIONS =
  'You are a helpful and bubbly AI assistant who loves to chat about anything the user is interested in ' +
  'and is prepared to offer them facts. You have a penchant for dad jokes, owl jokes, and rickrolling ' +
  '– subtly. Always stay positive, but work in a joke when appropriate. You are talking on the phone, ' +
  'so keep your answers short and conversational.';

/** Who answers: the default assistant and the assistant profiles (libs/orchestration). */
export class AssistantVariables {
  @IsString() @MinLength(1)
  OPENAI_VOICE: string;

  @IsString()
  ASSISTANT_INSTRUCTIONS: string;

  /** Instructions for the assistant's first turn; empty means the caller speaks first. */
  @IsString()
  ASSISTANT_GREETING: string;

  @ToNumber() @IsNumber() @Min(0) @Max(1)
  VAD_THRESHOLD: number;

  @ToNumber() @IsInt() @Min(0) @Max(5000)
  VAD_PREFIX_PADDING_MS: number;

  @ToNumber() @IsInt() @Min(0) @Max(10000)
  VAD_SILENCE_DURATION_MS: number;

  /** Model for caller-side transcription; empty turns transcription off. */
  @IsString()
  INPUT_TRANSCRIPTION_MODEL: string;

  /** Tools of the default assistant (comma-separated names); empty or unset: every registered tool. */
  @IsOptional() @IsString()
  ASSISTANT_TOOLS?: string;

  /** Extra assistant profiles: JSON text, or `@/path/to/profiles.json`. */
  @IsOptional() @IsString()
  ASSISTANT_PROFILES?: string;
}

export const assistantConfig: ConfigOwner<AssistantOptions> = {
  variables: AssistantVariables,
  defaults: {
    all: {
      OPENAI_VOICE: 'alloy',
      ASSISTANT_INSTRUCTIONS: SEED_INSTRUCTIONS,
      ASSISTANT_GREETING: 'Greet the caller warmly in one short sentence and ask how you can help.',
      VAD_THRESHOLD: '0.5',
      VAD_PREFIX_PADDING_MS: '300',
      VAD_SILENCE_DURATION_MS: '500',
      INPUT_TRANSCRIPTION_MODEL: 'gpt-4o-mini-transcribe',
    },
  },
  section: (env, parse) => ({
    voice: env.OPENAI_VOICE,
    instructions: env.ASSISTANT_INSTRUCTIONS,
    greeting: env.ASSISTANT_GREETING,
    turnDetection: { threshold: env.VAD_THRESHOLD, prefixPaddingMs: env.VAD_PREFIX_PADDING_MS, silenceDurationMs: env.VAD_SILENCE_DURATION_MS },
    inputTranscriptionModel: env.INPUT_TRANSCRIPTION_MODEL || undefined,
    tools: env.ASSISTANT_TOOLS?.trim() ? commaSeparated(env.ASSISTANT_TOOLS) : undefined,
    // Read once (it may name a file).
    profiles: parse('ASSISTANT_PROFILES', () => parseAssistantProfiles(env.ASSISTANT_PROFILES)),
  }),
};
