/**
 * Operator (non-keyed) state of one subtask: named lists, redistributed on rescale either
 * evenly ("split", Flink's `getListState`) or to everyone ("union", `getUnionListState`).
 * Sources keep their offsets here. Everything is in memory and snapshots synchronously.
 */
import { WeirError } from '../common/weir-error.ts';
import type { ListState } from './state-types.ts';

/** Distribution mode of an operator list state. */
export type OperatorStateMode = 'split' | 'union';

/** JSON/msgpack-able snapshot of one subtask's operator state. */
export interface OperatorStateSnapshot {
  format: 'weir-operator-v1';
  states: Record<string, { mode: OperatorStateMode; items: unknown[] }>;
}

/** The operator state of one subtask. */
export interface OperatorStateStore {
  /** List state split evenly across subtasks on rescale. */
  getListState<T>(name: string): ListState<T>;
  /** List state of which every subtask gets every element on restore. */
  getUnionListState<T>(name: string): ListState<T>;
  /** Deep copy of all lists (synchronous, small). */
  snapshot(): OperatorStateSnapshot;
}

class OperatorListState<T> implements ListState<T> {
  constructor(private items: T[], private readonly name: string) {}

  private check(v: T): void {
    if (v === undefined) throw new WeirError('WEIR_INVALID_STATE_VALUE', `An element of operator list state "${this.name}" must not be undefined`, { name: this.name });
  }

  get(): T[] {
    return this.items.slice();
  }

  add(v: T): void {
    this.check(v);
    this.items.push(v);
  }

  addAll(vs: T[]): void {
    for (const v of vs) this.check(v);
    this.items.push(...vs);
  }

  update(vs: T[]): void {
    for (const v of vs) this.check(v);
    this.items = vs.slice();
  }

  clear(): void {
    this.items = [];
  }

  /** Current elements (no copy). */
  raw(): T[] {
    return this.items;
  }
}

class DefaultOperatorStateStore implements OperatorStateStore {
  private readonly states = new Map<string, { mode: OperatorStateMode; list: OperatorListState<unknown> }>();
  private readonly restored: OperatorStateSnapshot['states'];

  constructor(restored?: OperatorStateSnapshot) {
    if (restored !== undefined && restored?.format !== 'weir-operator-v1') {
      throw new WeirError('WEIR_STATE_INCOMPATIBLE', `Not a Weir operator-state snapshot (format ${String((restored as { format?: unknown })?.format)})`);
    }
    this.restored = restored ? structuredClone(restored.states) : {};
  }

  private get<T>(name: string, mode: OperatorStateMode): ListState<T> {
    if (typeof name !== 'string' || name.length === 0) throw new WeirError('WEIR_INVALID_STATE_DESCRIPTOR', 'Operator state names must be non-empty strings');
    const found = this.states.get(name);
    if (found) {
      if (found.mode !== mode) throw conflict(name, found.mode, mode);
      return found.list as ListState<T>;
    }
    const r = this.restored[name];
    if (r && r.mode !== mode) throw conflict(name, r.mode, mode);
    const list = new OperatorListState<unknown>(r ? r.items : [], name);
    this.states.set(name, { mode, list });
    return list as ListState<T>;
  }

  getListState<T>(name: string): ListState<T> {
    return this.get<T>(name, 'split');
  }

  getUnionListState<T>(name: string): ListState<T> {
    return this.get<T>(name, 'union');
  }

  snapshot(): OperatorStateSnapshot {
    const states: OperatorStateSnapshot['states'] = {};
    // Restored states nobody asked for yet are carried over unchanged.
    for (const [name, s] of Object.entries(this.restored)) if (!this.states.has(name)) states[name] = structuredClone(s);
    for (const [name, s] of this.states) states[name] = { mode: s.mode, items: structuredClone(s.list.raw()) };
    return { format: 'weir-operator-v1', states };
  }
}

function conflict(name: string, existing: OperatorStateMode, requested: OperatorStateMode): WeirError {
  return new WeirError('WEIR_STATE_DESCRIPTOR_CONFLICT', `Operator state "${name}" is ${existing} list state and cannot be used as ${requested} list state`, { name, existing, requested });
}

/** Creates an operator state store, optionally from a (redistributed) snapshot. */
export function createOperatorStateStore(restored?: OperatorStateSnapshot): OperatorStateStore {
  return new DefaultOperatorStateStore(restored);
}

/**
 * Redistributes the operator state of old subtasks (index = old subtask) to `newParallelism`
 * subtasks, following Flink's RoundRobinOperatorStateRepartitioner:
 *  - split: per state name (in name order), the old subtasks' lists are concatenated in subtask
 *    order and cut into contiguous chunks whose sizes differ by at most one; the larger chunks go
 *    first, starting at the subtask after the previous name's remainder, so remainders spread;
 *    with unchanged parallelism split state stays where it was;
 *  - union: every new subtask gets the concatenation of all old lists.
 */
export function redistributeOperatorState(old: readonly OperatorStateSnapshot[], newParallelism: number): OperatorStateSnapshot[] {
  if (!Number.isInteger(newParallelism) || newParallelism < 1) {
    throw new WeirError('WEIR_INVALID_PARALLELISM', `newParallelism must be a positive integer, got ${newParallelism}`, { newParallelism });
  }
  const modes = new Map<string, OperatorStateMode>();
  for (const snap of old) {
    if (snap?.format !== 'weir-operator-v1') throw new WeirError('WEIR_STATE_INCOMPATIBLE', 'Not a Weir operator-state snapshot');
    for (const [name, s] of Object.entries(snap.states)) {
      const m = modes.get(name);
      if (m && m !== s.mode) throw conflict(name, m, s.mode);
      modes.set(name, s.mode);
    }
  }
  const out: OperatorStateSnapshot[] = Array.from({ length: newParallelism }, () => ({ format: 'weir-operator-v1', states: {} }));
  const names = [...modes.keys()].sort();
  const all = (name: string): unknown[] => old.flatMap((s) => s.states[name]?.items ?? []);
  let startOp = 0;
  for (const name of names) {
    const mode = modes.get(name)!;
    if (mode === 'union') {
      const items = all(name);
      for (const snap of out) snap.states[name] = { mode, items: structuredClone(items) };
      continue;
    }
    if (newParallelism === old.length) {
      old.forEach((s, i) => {
        out[i]!.states[name] = { mode, items: structuredClone(s.states[name]?.items ?? []) };
      });
      continue;
    }
    const items = all(name);
    const base = Math.floor(items.length / newParallelism);
    let remainder = items.length % newParallelism;
    let nextStart = startOp;
    let idx = 0;
    for (let i = 0; i < newParallelism; i++) {
      const op = (i + startOp) % newParallelism;
      let n = base;
      if (remainder > 0) {
        n++;
        remainder--;
      } else if (remainder === 0) {
        nextStart = op;
        remainder--;
      }
      out[op]!.states[name] = { mode, items: structuredClone(items.slice(idx, idx + n)) };
      idx += n;
    }
    startOp = nextStart;
  }
  return out;
}
