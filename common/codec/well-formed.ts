/**
 * Whether a string is well-formed UTF-16 (no lone surrogate): only such strings have UTF-8 bytes of
 * their own. Encoding turns a lone surrogate into U+FFFD, so '\uD800', '\uDFFF' and '\uFFFD' would
 * share their bytes — as keys, one key (a user's review: their windows and state merged on LMDB).
 * `String.prototype.isWellFormed` (Node ≥ 20; one-byte strings answer at once), typed here as
 * TypeScript's ES2023 library predates it.
 */
export function isWellFormedString(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/** The reason a string with a lone surrogate cannot be a key. */
export const LONE_SURROGATE_KEY =
  'a string with a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF) cannot be a key: its bytes would equal those of another string; clean the data first (e.g. s.toWellFormed())';
