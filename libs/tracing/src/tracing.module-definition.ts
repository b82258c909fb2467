export const TRACING_OPTIONS = Symbol('TRACING_OPTIONS');
