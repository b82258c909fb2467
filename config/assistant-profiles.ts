import 'reflect-metadata';
import type { AssistantProfile, NoiseReductionSetting, RecordingSettings, TurnDetectionSettings, VoicemailSettings } from '@app/orchestration';
import type { RealtimeReasoningEffort, RealtimeSemanticVadEagerness } from '@app/realtime';
import { plainToInstance, Type } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested, validateSync } from 'class-validator';
import type { ValidationError } from 'class-validator';
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { MODEL_NAME } from './realtime.config';

export const TURN_DETECTION_TYPES: TurnDetectionSettings['type'][] = ['server_vad', 'semantic_vad'];
export const EAGERNESS_LEVELS: RealtimeSemanticVadEagerness[] = ['low', 'medium', 'high', 'auto'];
export const NOISE_REDUCTION_SETTINGS: NoiseReductionSetting[] = ['near_field', 'far_field', 'off'];
export const REASONING_EFFORTS: RealtimeReasoningEffort[] = ['minimal', 'low', 'medium', 'high', 'xhigh'];
/** The transcription models OpenAI documents as taking several language hints (`languages`). */
const MULTI_LANGUAGE_TRANSCRIPTION = new Set(['gpt-transcribe', 'gpt-live-transcribe']);
/** OpenAI's transcription models that take one language hint only (`language`). */
const SINGLE_LANGUAGE_TRANSCRIPTION = /^(?:whisper-1|gpt-4o(?:-mini)?-transcribe.*|gpt-realtime-whisper)$/;

/**
 * Why these language hints cannot go with this transcription model, or undefined when they can:
 * several languages need a model that takes `languages` (a deployment name is given the benefit of the doubt).
 */
export function transcriptionLanguagesProblem(model: string | undefined, languages: string[]): string | undefined {
  if (languages.length > 1 && model && !MULTI_LANGUAGE_TRANSCRIPTION.has(model) && SINGLE_LANGUAGE_TRANSCRIPTION.test(model)) {
    return `${model} takes one language hint; several (${languages.join(', ')}) need gpt-transcribe or gpt-live-transcribe`;
  }
  return undefined;
}

export const VOICEMAIL_DETECTIONS: VoicemailSettings['detection'][] = ['off', 'twilio', 'model', 'both'];
export const VOICEMAIL_ACTIONS: VoicemailSettings['action'][] = ['leave-message', 'hang-up'];
export const VOICEMAIL_SPEAKERS: VoicemailSettings['speak'][] = ['assistant', 'say'];
/** Longest voicemail message or recording disclosure (characters): spoken text, well under Twilio's TwiML limits. */
export const MAX_SPOKEN_TEXT = 1000;

/** A profile's `voicemail`: every field optional (the default assistant's otherwise). */
export class VoicemailOverride implements Partial<VoicemailSettings> {
  @IsOptional() @IsIn(VOICEMAIL_DETECTIONS)
  detection?: VoicemailSettings['detection'];

  @IsOptional() @IsIn(VOICEMAIL_ACTIONS)
  action?: VoicemailSettings['action'];

  @IsOptional() @IsString() @MinLength(1) @MaxLength(MAX_SPOKEN_TEXT)
  message?: string;

  @IsOptional() @IsIn(VOICEMAIL_SPEAKERS)
  speak?: VoicemailSettings['speak'];
}

/** A profile's `recording`: every field optional (the default assistant's otherwise). */
export class RecordingOverride implements Partial<RecordingSettings> {
  @IsOptional() @IsBoolean()
  enabled?: boolean;

  @IsOptional() @IsString() @MaxLength(MAX_SPOKEN_TEXT)
  disclosure?: string;
}

export class TurnDetectionOverride implements Partial<TurnDetectionSettings> {
  @IsOptional() @IsIn(TURN_DETECTION_TYPES)
  type?: TurnDetectionSettings['type'];

  @IsOptional() @IsIn(EAGERNESS_LEVELS)
  eagerness?: RealtimeSemanticVadEagerness;

  @IsOptional() @IsNumber() @Min(0) @Max(1)
  threshold?: number;

  @IsOptional() @IsInt() @Min(0) @Max(5000)
  prefixPaddingMs?: number;

  @IsOptional() @IsInt() @Min(0) @Max(10000)
  silenceDurationMs?: number;
}

/** A profile's post-call analysis (with POST_CALL_ANALYSIS=on). */
export class ProfileAnalysisDefinition {
  /** false: this profile's calls are not analysed. */
  @IsOptional() @IsBoolean()
  enabled?: boolean;

  /** Added to the analysis instructions: what success means for these calls, what to look for. */
  @IsOptional() @IsString() @MinLength(1)
  instructions?: string;

  /** JSON schema of an object: the structured fields the analysis fills in. */
  @IsOptional() @IsObject()
  schema?: Record<string, unknown>;

  /** The text model for these calls; unset: ANALYSIS_MODEL. */
  @IsOptional() @Matches(MODEL_NAME, { message: 'model must be a model id (or an Azure deployment name)' })
  model?: string;
}

/** Why a profile's analysis schema cannot be used, or undefined: it must be a valid JSON schema of an object with properties. */
export function analysisSchemaProblem(schema: Record<string, unknown>): string | undefined {
  if (schema.type !== 'object' || schema.properties === null || typeof schema.properties !== 'object' || Array.isArray(schema.properties)) {
    return 'must be a JSON schema of an object: {"type":"object","properties":{…}}';
  }
  try {
    new Ajv({ strict: false }).compile(schema);
  } catch (error) {
    return `is not a valid JSON schema (${(error as Error).message})`;
  }
  return undefined;
}

/** One assistant of ASSISTANT_PROFILES, as validated. Every field is optional: what is missing comes from the default assistant. */
export class AssistantProfileDefinition implements AssistantProfile {
  /** Twilio numbers (E.164) whose inbound calls get this assistant (matched on the dialled `To`). */
  @IsOptional() @IsArray() @Matches(/^\+[1-9]\d{6,14}$/, { each: true, message: 'numbers must be E.164 numbers such as +15551234567' })
  numbers?: string[];

  /** System instructions; `{{from}}`, `{{to}}`, `{{callSid}}` and `{{<parameter or variable>}}` are filled in per call. */
  @IsOptional() @IsString()
  instructions?: string;

  @IsOptional() @IsString() @MinLength(1)
  voice?: string;

  /** Instructions for the first turn; empty: the caller speaks first. */
  @IsOptional() @IsString()
  greeting?: string;

  /** Tool names this assistant may use; unset: the default assistant's tools. */
  @IsOptional() @IsArray() @IsString({ each: true })
  tools?: string[];

  /** The language the assistant speaks (e.g. "Spanish"), added to its instructions. */
  @IsOptional() @IsString() @MinLength(2)
  language?: string;

  /** The Realtime model this assistant runs (on Azure, a deployment name); unset: OPENAI_REALTIME_MODEL. */
  @IsOptional() @Matches(MODEL_NAME, { message: 'model must be a model id (or an Azure deployment name)' })
  model?: string;

  /** For the models that take it; unset: REASONING_EFFORT. */
  @IsOptional() @IsIn(REASONING_EFFORTS)
  reasoningEffort?: RealtimeReasoningEffort;

  @IsOptional() @ValidateNested() @Type(() => TurnDetectionOverride)
  turnDetection?: TurnDetectionOverride;

  /** `near_field`, `far_field` or `off`; unset: INPUT_NOISE_REDUCTION. */
  @IsOptional() @IsIn(NOISE_REDUCTION_SETTINGS)
  noiseReduction?: NoiseReductionSetting;

  /** ISO-639-1 codes; unset: INPUT_TRANSCRIPTION_LANGUAGES. */
  @IsOptional() @IsArray() @Matches(/^[a-z]{2}$/, { each: true, message: 'transcriptionLanguages must be ISO-639-1 codes such as "es"' })
  transcriptionLanguages?: string[];

  /** The post-call analysis of this assistant's calls (POST_CALL_ANALYSIS=on): instructions, a JSON schema of fields, a model. */
  @IsOptional() @ValidateNested() @Type(() => ProfileAnalysisDefinition)
  analysis?: ProfileAnalysisDefinition;
  /** Voicemail detection and drop of outbound calls; unset fields: VOICEMAIL_*. */
  @IsOptional() @ValidateNested() @Type(() => VoicemailOverride)
  voicemail?: VoicemailOverride;

  /** Call recording; unset fields: CALL_RECORDING, CALL_RECORDING_DISCLOSURE. */
  @IsOptional() @ValidateNested() @Type(() => RecordingOverride)
  recording?: RecordingOverride;
}

export type AssistantProfileDefinitions = Record<string, AssistantProfileDefinition>;

const PROFILE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Reads ASSISTANT_PROFILES (JSON text or `@/path/file.json`): `{ "<name>": { numbers, instructions, … } }`.
 * Throws one error naming every problem.
 */
export function parseAssistantProfiles(source: string | undefined, context: { inputTranscriptionModel?: string } = {}): AssistantProfileDefinitions {
  if (!source || source.trim() === '') return {};
  let raw: unknown;
  try {
    const text = source.trim().startsWith('@') ? readFileSync(source.trim().slice(1), 'utf8') : source;
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`ASSISTANT_PROFILES: cannot read it as JSON (${(error as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error('ASSISTANT_PROFILES: must be a JSON object of profiles keyed by name');
  }
  const problems: string[] = [];
  const profiles: AssistantProfileDefinitions = {};
  const numberOwners = new Map<string, string>();
  for (const [name, value] of Object.entries(raw)) {
    if (!PROFILE_NAME.test(name)) problems.push(`profile name "${name}" must match ${PROFILE_NAME}`);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${name}: must be an object`);
      continue;
    }
    const profile = plainToInstance(AssistantProfileDefinition, value);
    const errors = validateSync(profile, { whitelist: true, forbidNonWhitelisted: true });
    problems.push(...flatten(errors).map((problem) => `${name}.${problem}`));
    const languages = errors.length === 0 ? transcriptionLanguagesProblem(context.inputTranscriptionModel, profile.transcriptionLanguages ?? []) : undefined;
    if (languages) problems.push(`${name}.transcriptionLanguages: ${languages}`);
    const schemaProblem = errors.length === 0 && profile.analysis?.schema ? analysisSchemaProblem(profile.analysis.schema) : undefined;
    if (schemaProblem) problems.push(`${name}.analysis.schema: ${schemaProblem}`);
    for (const number of profile.numbers ?? []) {
      const owner = numberOwners.get(number);
      if (owner) problems.push(`${name}.numbers: ${number} already belongs to profile ${owner}`);
      numberOwners.set(number, name);
    }
    profiles[name] = profile;
  }
  if (problems.length > 0) throw new Error(`ASSISTANT_PROFILES: ${problems.join('; ')}`);
  return profiles;
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => [
    ...Object.values(error.constraints ?? {}).map((message) => `${prefix}${error.property}: ${message}`),
    ...flatten(error.children ?? [], `${prefix}${error.property}.`),
  ]);
}
