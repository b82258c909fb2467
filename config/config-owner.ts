import { Transform } from 'class-transformer';
import { getMetadataStorage } from 'class-validator';
import type { EnvironmentVariables } from './environment';

/** The deployment environment, chosen by NODE_ENV (default `local`); it picks the defaults. */
export const DEPLOYMENT_ENVIRONMENTS = ['local', 'development', 'production', 'test'] as const;
export type DeploymentEnvironment = (typeof DEPLOYMENT_ENVIRONMENTS)[number];

/**
 * Defaults of an owner's variables, as environment-variable text: `all` for every deployment
 * environment, then per environment (which wins). Real environment variables win over both.
 */
export type OwnerDefaults = { all?: Record<string, string> } & Partial<Record<DeploymentEnvironment, Record<string, string>>>;

/**
 * Turns one variable's text into a value (JSON, a file). A throw is reported as that variable's
 * problem; the parser is skipped when the variable already failed validation. When any problem is
 * reported the whole configuration is refused, so the value returned then is never used.
 */
export type ParseVariable = <T>(variable: string, parse: () => T) => T;

/**
 * One owner of configuration: the code that uses a group of environment variables. Adding a
 * setting touches its owner only (a validated property of `variables`, its default, the option
 * `section` builds from it) plus the library code that uses the option.
 */
export interface ConfigOwner<Section> {
  /** A class-validator class with one property per variable, named as the variable. */
  readonly variables: new () => object;
  readonly defaults: OwnerDefaults;
  /** Rules no single property's decorators can state; returns problems as "NAME: message". */
  check?(env: EnvironmentVariables, isValid: (variable: string) => boolean): string[];
  /** The owner's options (a library module's, or the server's), from the validated variables. */
  section(env: EnvironmentVariables, parse: ParseVariable): Section;
}

/**
 * Converts a numeric variable. A blank value is invalid (NaN) rather than 0: `Number('')` is 0,
 * which would silently mean "any free port" for PORT or a hair-trigger VAD_THRESHOLD.
 */
export const ToNumber = () => Transform(({ value }) => (typeof value === 'string' && value.trim() === '' ? Number.NaN : Number(value)));

const emptyMeansUnsetByClass = new WeakMap<object, Set<string>>();

/**
 * An empty value of this variable means "unset" (the default, if any, applies), as for URLs,
 * secrets and optional numbers. Without it an empty text is a value (e.g. no greeting).
 */
export function EmptyMeansUnset(): PropertyDecorator {
  return (prototype, property) => {
    const names = emptyMeansUnsetByClass.get(prototype.constructor) ?? new Set<string>();
    names.add(String(property));
    emptyMeansUnsetByClass.set(prototype.constructor, names);
  };
}

/** The variables of a class marked EmptyMeansUnset. */
export function emptyMeansUnset(variables: new () => object): ReadonlySet<string> {
  return emptyMeansUnsetByClass.get(variables) ?? new Set();
}

/** The variables a class declares (every property carries at least one validation decorator). */
export function variablesOf(variables: new () => object): string[] {
  const names = getMetadataStorage()
    .getTargetValidationMetadatas(variables, '', true, false)
    .map((metadata) => metadata.propertyName);
  return [...new Set(names)];
}

/** "a, b,,c" → ["a", "b", "c"]. */
export function commaSeparated(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
