/**
 * Params cross to every worker by structured clone (postMessage). A value that
 * cannot be cloned (a function, a symbol, a WeakMap, a class instance holding
 * one …) used to fail late and asynchronously, in the control plane's spawn
 * call; `execute()` checks it synchronously instead and names the path.
 */
import { invalidArgument } from '../errors.ts';

/**
 * Throw `WEIR_INVALID_ARGUMENT` naming the first path inside `value` (e.g.
 * `params.options.fn`, `params.list[2]`, `params.lookup.get("k")`) that
 * structured clone refuses. Returns `value` unchanged.
 */
export function assertCloneable<T>(value: T, root = 'params'): T {
  const problem = firstUncloneable(value, root, new Set());
  if (problem) {
    throw invalidArgument(
      `execute(): ${problem.path} cannot be cloned to the worker threads (${problem.why}); params must be plain data — define functions in the job module instead`,
      { option: 'params', path: problem.path },
    );
  }
  return value;
}

function cloneError(value: unknown): string | undefined {
  try {
    structuredClone(value);
    return undefined;
  } catch (e) {
    return (e as Error)?.message ?? String(e);
  }
}

/** The deepest failing path under `value`, or undefined when it clones. Descends only into what failed. */
function firstUncloneable(value: unknown, path: string, seen: Set<object>): { path: string; why: string } | undefined {
  if (typeof value === 'function') return { path, why: `a function: ${describe(value)}` };
  if (typeof value === 'symbol') return { path, why: `a symbol: ${String(value)}` };
  if (value === null || typeof value !== 'object') return undefined;
  if (seen.has(value)) return undefined;
  seen.add(value);
  const why = cloneError(value);
  if (why === undefined) return undefined;
  for (const [childPath, child] of children(value, path)) {
    const inner = firstUncloneable(child, childPath, seen);
    if (inner) return inner;
  }
  return { path, why: `${Object.prototype.toString.call(value).slice(8, -1)}: ${why}` };
}

function* children(value: object, path: string): Iterable<[string, unknown]> {
  if (value instanceof Map) {
    let i = 0;
    for (const [k, v] of value) {
      yield [`${path}.keys()[${i}]`, k];
      yield [`${path}.get(${keyLabel(k)})`, v];
      i++;
    }
    return;
  }
  if (value instanceof Set) {
    let i = 0;
    for (const v of value) yield [`${path}.values()[${i++}]`, v];
    return;
  }
  const isArray = Array.isArray(value);
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    yield [isArray && /^\d+$/.test(key) ? `${path}[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`, child];
  }
}

function keyLabel(k: unknown): string {
  return typeof k === 'string' ? JSON.stringify(k) : typeof k === 'object' && k !== null ? '{…}' : String(k);
}

function describe(fn: Function): string {
  const text = String(fn).replace(/\s+/g, ' ');
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
