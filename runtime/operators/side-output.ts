/**
 * Side outputs inside operators: the tag id a user function passed to `ctx.output(tag, v)`.
 * Operators route by id only (Flink compares tags by id); a missing or empty id is the user
 * function's error (thrown inside it, so it is reported as that function's failure).
 */
export function sideOutputId(tag: unknown): string {
  const id = (tag as { id?: unknown } | null | undefined)?.id;
  if (typeof id !== 'string' || id.length === 0) throw new TypeError(`ctx.output: expected an OutputTag (a non-empty string id), got ${tag === null ? 'null' : typeof tag}`);
  return id;
}
