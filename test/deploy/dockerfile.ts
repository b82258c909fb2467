import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DockerfileParser, Instruction } from 'dockerfile-ast';

/** The repository root, with a trailing slash. */
export const ROOT = resolve(__dirname, '../..') + '/';
export const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

export interface Stage {
  name: string | null;
  image: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  source: string;
  stages: Stage[];
  /** The instructions of a stage with this keyword (COPY, RUN, …). */
  of(stage: Stage, keyword: string): Instruction[];
  /** The instruction's full argument text, flags included, continuation lines joined. */
  argsOf(instruction: Instruction): string;
}

/** The repository's Dockerfile, parsed (dockerfile-ast) and split into its stages. */
export function parseDockerfile(path = 'Dockerfile'): Dockerfile {
  const source = read(path);
  const lines = source.split('\n');
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(source).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const args = instruction.getArguments().map((a) => a.getValue());
      const asIndex = args.findIndex((a) => a.toUpperCase() === 'AS');
      stages.push({ image: args.find((a) => !a.startsWith('--'))!, name: asIndex >= 0 ? args[asIndex + 1] : null, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return {
    source,
    stages,
    of: (stage, keyword) => stage.instructions.filter((i) => i.getKeyword() === keyword),
    argsOf: (instruction) => {
      const { start, end } = instruction.getRange();
      const text = lines.slice(start.line, end.line + 1).join('\n').replace(/\\\n\s*/g, ' ');
      return text.slice(text.search(/\s/) + 1).trim();
    },
  };
}

/** The JSON array of an exec-form instruction, or undefined for shell form. */
export function execForm(text: string): string[] | undefined {
  try {
    const value = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A COPY instruction's sources and destination, and the stage it copies from (undefined: the build context). */
export function copyOf(args: string): { from?: string; sources: string[]; destination: string } {
  const parts = args.split(/\s+/);
  const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
  const paths = parts.filter((p) => !p.startsWith('--'));
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
}
