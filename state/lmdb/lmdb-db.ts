/** The LMDB database type of the keyed-state environment and the raw operations its stores share. */
import type { Database } from 'lmdb';

/** LMDB database with binary keys and values. */
export type BinaryDb = Database<Buffer, Buffer>;

/**
 * Reads a value into lmdb's reused buffer, valid until the next read. Its `length` property is
 * the value's size but `byteLength` is the whole buffer: index with explicit ends, never
 * `subarray(start)` without an end.
 */
export function fastGet(db: BinaryDb, key: Buffer, txn?: unknown): Buffer | undefined {
  // lmdb's typings omit getBinaryFast's options argument; the implementation honours `transaction`.
  return txn ? ((db.getBinaryFast as unknown as GetBinaryFast).call(db, key, { transaction: txn }) as Buffer | undefined) : db.getBinaryFast(key);
}

type GetBinaryFast = (this: BinaryDb, k: Buffer, o?: { transaction: unknown }) => Buffer | undefined;

/** Deletes every record in `[start, end)`; returns how many. */
export function deleteRange(db: BinaryDb, start: Buffer, end: Buffer): number {
  const keys = [...db.getKeys({ start, end })] as Buffer[];
  for (const k of keys) db.removeSync(k);
  return keys.length;
}
