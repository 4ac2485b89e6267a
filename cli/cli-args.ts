/**
 * Argument parsing for the `weir` commands: `node:util` `parseArgs` in strict
 * mode, with every problem turned into a {@link usageError} (the CLI prints
 * the message and the usage and exits with code 2).
 */
import { parseArgs } from 'node:util';
import { WeirError } from '../index.ts';

/** Code of a command-line usage error (exit code 2). */
export const USAGE_ERROR = 'WEIR_CLI_USAGE';

/** A usage error: wrong command, option or value. */
export function usageError(message: string, details: Record<string, unknown> = {}): WeirError {
  return new WeirError(USAGE_ERROR, message, details);
}

/** Options of one command: each is a string-valued option or a boolean switch. */
export type OptionSpec = Record<string, 'string' | 'boolean'>;

/** Parsed arguments: positionals and option values (strings or `true`). */
export interface ParsedArgs {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

/**
 * Parse `argv` for `command` against `spec`.
 * An option given twice is refused (parseArgs keeps the last one silently: `--parallelism 2 …
 * --parallelism 4` would run at 4 without a word).
 * @throws WeirError `WEIR_CLI_USAGE` for unknown options, repeated options, missing values, values given to switches.
 */
export function parseCommandArgs(command: string, argv: readonly string[], spec: OptionSpec): ParsedArgs {
  const options = Object.fromEntries(Object.entries(spec).map(([name, type]) => [name, { type }]));
  try {
    const { positionals, values, tokens } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true, tokens: true });
    const seen = new Set<string>();
    for (const t of tokens) {
      if (t.kind !== 'option') continue;
      if (seen.has(t.name)) throw usageError(`${command}: --${t.name} given more than once`, { command, option: t.name });
      seen.add(t.name);
    }
    return { positionals, values: { ...values } as ParsedArgs['values'] };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS')) {
      throw usageError(`${command}: ${err.message.replace(/\. To specify a positional argument.*$/s, '')}`, { command });
    }
    throw e;
  }
}

/** A string option's value (undefined when absent). */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A boolean switch (false when absent). */
export function flagOption(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/**
 * A positive (or, with `min: 0`, non-negative) integer option, written in decimal digits (`Number()`
 * alone took `0x10`, `1e3` and `  5 ` too).
 * @throws WeirError `WEIR_CLI_USAGE` naming the option and the value.
 */
export function intOption(args: ParsedArgs, name: string, min = 1): number | undefined {
  const v = stringOption(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(n) || n < min) {
    throw usageError(`--${name} must be ${min === 1 ? 'a positive integer' : `an integer >= ${min}`}, got '${v}'`, { option: name, value: v });
  }
  return n;
}

/** A JSON option, parsed. @throws WeirError `WEIR_CLI_USAGE` when it is not valid JSON. */
export function jsonOption(args: ParsedArgs, name: string): unknown {
  const v = stringOption(args, name);
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v);
  } catch (e) {
    throw usageError(`--${name} is not valid JSON: ${(e as Error).message}`, { option: name, value: v });
  }
}

/** Exactly one positional per name, or a usage error naming what is missing / extra. */
export function expectPositionals(command: string, args: ParsedArgs, names: readonly string[]): string[] {
  if (args.positionals.length < names.length) throw usageError(`${command} needs ${names.slice(args.positionals.length).map((n) => `<${n}>`).join(' ')}`, { command });
  if (args.positionals.length > names.length) throw usageError(`${command}: unexpected argument '${args.positionals[names.length]}'`, { command });
  return args.positionals;
}
