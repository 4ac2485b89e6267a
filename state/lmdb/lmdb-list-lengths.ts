/**
 * The lengths of the LMDB lists a store has seen, per list state id and key identity. A list's
 * elements sit at sequence numbers 0 … length−1 (the invariant in lmdb-state-store.ts), so its
 * length is also the sequence number of its next element, and a list of known length is read and
 * cleared by point operations. Without it, every append read the last sequence number back with a
 * reverse range scan (~13 % of Nexmark q4's join subtask, issue #18 profile) and every read and
 * clear opened a cursor. Bounded: past {@link MAX_REMEMBERED} lists everything is forgotten (and
 * read from LMDB again when needed); forgotten too whenever a restore writes LMDB underneath.
 */

/** Lists whose length is remembered before the memory is dropped. */
const MAX_REMEMBERED = 65_536;

export class ListLengths {
  private readonly bySid: Array<Map<unknown, number> | undefined> = [];
  private count = 0;

  /** The length of list `sid` of the key with identity `keyId`, if remembered. */
  get(sid: number, keyId: unknown): number | undefined {
    return this.bySid[sid]?.get(keyId);
  }

  set(sid: number, keyId: unknown, length: number): void {
    let m = this.bySid[sid];
    if (m === undefined) m = this.bySid[sid] = new Map();
    if (!m.has(keyId) && ++this.count > MAX_REMEMBERED) {
      this.forget();
      m = this.bySid[sid] = new Map();
      this.count = 1;
    }
    m.set(keyId, length);
  }

  forget(): void {
    this.bySid.length = 0;
    this.count = 0;
  }
}
