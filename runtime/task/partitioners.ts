/**
 * Choose the output channel of a record on one edge.
 *   forward:   the single channel to the same-index subtask
 *   rebalance: round-robin, starting at this subtask's index (spreads the first records)
 *   hash:      key → key group (murmur hash mod max parallelism) → subtask
 *              keyGroup × parallelism / maxParallelism (Flink's scheme)
 *   broadcast: every channel ({@link ALL_CHANNELS}; Flink's BroadcastPartitioner)
 */
import { keyGroupFor, operatorIndexForKeyGroup } from '../../state/index.ts';

export interface Partitioner {
  /** The channel of `value`, or {@link ALL_CHANNELS}. */
  select(value: unknown): number;
}

/** What a broadcast partitioner selects: the record goes to every channel. */
export const ALL_CHANNELS = -1;

export function broadcastPartitioner(): Partitioner {
  return { select: () => ALL_CHANNELS };
}

export function forwardPartitioner(): Partitioner {
  return { select: () => ALL_CHANNELS };
}

export function rebalancePartitioner(channels: number, start: number): Partitioner {
  let next = start % channels;
  return {
    select: () => {
      const ch = next;
      next = next + 1 === channels ? 0 : next + 1;
      return ch;
    },
  };
}

/** `failed` turns a throw of the key selector (or an invalid key) into the error to raise. */
export function hashPartitioner(keySelector: (v: any) => unknown, channels: number, maxParallelism: number, failed: (record: unknown, cause: unknown) => Error): Partitioner {
  // The channel of every key group, computed (and validated) once: per record it was ~6 % of a
  // keyed count's source subtask (issue #18 profile).
  const channelOf = new Int32Array(maxParallelism);
  for (let kg = 0; kg < maxParallelism; kg++) channelOf[kg] = operatorIndexForKeyGroup(maxParallelism, channels, kg);
  return {
    select: (value) => {
      let key: unknown;
      try {
        key = keySelector(value);
      } catch (e) {
        throw failed(value, e);
      }
      try {
        return channelOf[keyGroupFor(key, maxParallelism)]!;
      } catch (e) {
        throw failed(value, e);
      }
    },
  };
}
