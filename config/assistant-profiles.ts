import 'reflect-metadata';
import type { AssistantProfile, TurnDetectionSettings } from '@app/orchestration';
import { plainToInstance, Type } from 'class-transformer';
import { IsArray, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min, MinLength, ValidateNested, validateSync } from 'class-validator';
import type { ValidationError } from 'class-validator';
import { readFileSync } from 'node:fs';

export class TurnDetectionOverride implements Partial<TurnDetectionSettings> {
  @IsOptional() @IsNumber() @Min(0) @Max(1)
  threshold?: number;

  @IsOptional() @IsInt() @Min(0) @Max(5000)
  prefixPaddingMs?: number;

  @IsOptional() @IsInt() @Min(0) @Max(10000)
  silenceDurationMs?: number;
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

  @IsOptional() @ValidateNested() @Type(() => TurnDetectionOverride)
  turnDetection?: TurnDetectionOverride;
}

export type AssistantProfileDefinitions = Record<string, AssistantProfileDefinition>;

const PROFILE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Reads ASSISTANT_PROFILES (JSON text or `@/path/file.json`): `{ "<name>": { numbers, instructions, … } }`.
 * Throws one error naming every problem.
 */
export function parseAssistantProfiles(source: string | undefined): AssistantProfileDefinitions {
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
