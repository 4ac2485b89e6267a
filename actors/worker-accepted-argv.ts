/**
 * The parent's execArgv as a Worker accepts it. `new Worker({ execArgv })` refuses V8 options
 * (`--max-old-space-size`, `--max-semi-space-size`, `--stack-size`, `--expose-gc`, `--trace-deopt` …)
 * and Node's per-process options with ERR_WORKER_INVALID_EXEC_ARGV — so an app started as
 * `node --max-old-space-size=8192 app.js` could run no job at all. Those options act on the whole
 * process: every worker thread already runs with them, so leaving them out of the workers'
 * execArgv loses nothing (a worker's heap is bounded by `resourceLimits`, not by these flags).
 *
 * Node has no API that tells a worker-accepted option from a refused one; it names the refused
 * ones only in the error's message ("Initiated Worker with invalid execArgv flags: --a, --b=1"),
 * and refuses them before any thread starts. So the pool is created with the full execArgv and,
 * on that error, again without the flags the message names (with a value given as the next
 * argument, `--stack-size 2000`, dropped along). The outcome is remembered per execArgv.
 */

const INVALID_EXEC_ARGV = 'ERR_WORKER_INVALID_EXEC_ARGV';
const accepted = new Map<string, readonly string[]>();

/** `execArgv` without the options `error` (ERR_WORKER_INVALID_EXEC_ARGV) names; undefined if the error is another one or names none of them. */
export function withoutRefusedOptions(execArgv: readonly string[], error: unknown): string[] | undefined {
  if ((error as { code?: unknown } | null)?.code !== INVALID_EXEC_ARGV) return undefined;
  const message = String((error as Error).message);
  const colon = message.indexOf(':');
  if (colon < 0) return undefined;
  const refused = new Set(message.slice(colon + 1).split(',').map((s) => s.trim()).filter((s) => s !== ''));
  const out: string[] = [];
  let dropped = 0;
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (!refused.has(arg)) {
      out.push(arg);
      continue;
    }
    dropped++;
    // `--flag value`: the value goes with its flag (execArgv holds options only, never the script).
    if (!arg.includes('=') && i + 1 < execArgv.length && !execArgv[i + 1]!.startsWith('-')) i++;
  }
  return dropped > 0 ? out : undefined;
}

/**
 * Calls `create(execArgv)`; when Node refuses some of the options, calls it again without them
 * (`onDropped` told which). Rethrows any other error, or the refusal if none of the named options
 * can be found in `execArgv`.
 */
export function withWorkerAcceptedArgv<T>(execArgv: readonly string[], create: (execArgv: string[]) => T, onDropped: (dropped: string[]) => void = () => {}): T {
  const key = execArgv.join('\0');
  const known = accepted.get(key);
  let argv = [...(known ?? execArgv)];
  for (;;) {
    try {
      const result = create(argv);
      accepted.set(key, argv);
      return result;
    } catch (error) {
      const kept = withoutRefusedOptions(argv, error);
      if (kept === undefined) throw error;
      onDropped(argv.filter((a) => !kept.includes(a)));
      argv = kept;
    }
  }
}
