/**
 * Whether the records a node emits carry event timestamps, decided on the graph: a timestamp
 * assigner on every path from a source (Weir's sources assign none; every other operator passes
 * its input's timestamps on, or gives its results one, as a window does). Event-time operators —
 * an interval join, an event-time window (window joins included) — are refused before anything
 * runs when an input carries none, rather than failing at their first record.
 */
import type { StreamGraph } from './stream-graph.ts';

/** `timestamped(nodeId)`, memoized for one validation pass. */
export function timestampedNodes(graph: StreamGraph): (id: number) => boolean {
  const memo = new Map<number, boolean>();
  const timestamped = (id: number): boolean => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    memo.set(id, false); // no cycles in a stream graph; guards anyway
    const up = graph.node(id);
    const r = up.spec.kind === 'watermarks' || (up.spec.kind !== 'source' && up.inputs.length > 0 && up.inputs.every((e) => timestamped(e.from)));
    memo.set(id, r);
    return r;
  };
  return timestamped;
}
