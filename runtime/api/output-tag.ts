/**
 * `OutputTag<T>`: names a side output (Flink's OutputTag). A process function emits to it with
 * `ctx.output(tag, value)`; `stream.getSideOutput(tag)` is the stream of those records.
 *
 * As in Flink, a tag is identified by its id alone: two `OutputTag` objects with the same id are
 * the same side output (the type parameter is only for the compiler). The id travels in the graph
 * (an edge carries it, the fingerprint includes it), never the object, so tags are rebuilt freely
 * in every worker by the job module.
 */
import { invalidArgument } from '../errors.ts';

export class OutputTag<T> {
  declare readonly __type?: T;
  constructor(readonly id: string) {
    if (typeof id !== 'string' || id.length === 0) {
      throw invalidArgument(`OutputTag: the id must be a non-empty string, got ${id === '' ? "''" : typeof id === 'string' ? id : String(id)}`, { id: String(id) });
    }
  }

  toString(): string {
    return `OutputTag(${this.id})`;
  }
}

/** The id of a tag-like argument, validated (a plain `{ id }` object is accepted: Flink compares ids). */
export function outputTagId(tag: unknown, where: string): string {
  const id = (tag as { id?: unknown } | null | undefined)?.id;
  if (typeof id !== 'string' || id.length === 0) {
    throw invalidArgument(`${where}: expected an OutputTag with a non-empty string id, got ${tag === null ? 'null' : typeof tag === 'object' ? `an object with id ${String(id)}` : typeof tag}`);
  }
  return id;
}
