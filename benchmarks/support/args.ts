/**
 * Command-line arguments shared by every benchmark:
 * `npm run bench:<name> -- --quick --size=256 --verbose`.
 */

/** Parsed benchmark arguments. */
export interface BenchArgs {
  /** `--quick`: a few-second smoke run instead of the full measurement. */
  quick: boolean;
  /** Every `--name` (true) and `--name=value` (string) flag. */
  flags: Record<string, string | boolean>;
  /** Arguments that are not flags. */
  positional: string[];
}

/** Parse `argv` (default: this process's arguments after the script). */
export function parseBenchArgs(argv: readonly string[] = process.argv.slice(2)): BenchArgs {
  const flags: Record<string, string | boolean> = {};
  const positional: string[] = [];
  for (const arg of argv) {
    if (arg === '--') continue;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq < 0) flags[arg.slice(2)] = true;
      else flags[arg.slice(2, eq)] = arg.slice(eq + 1);
    } else {
      positional.push(arg);
    }
  }
  return { quick: flags.quick === true || flags.quick === 'true', flags, positional };
}
