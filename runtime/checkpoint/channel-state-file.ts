/**
 * The file an unaligned checkpoint writes per subtask: the in-flight frames
 * its barrier overtook, so recovery can replay them before any new input.
 *
 * Layout (all integers little-endian):
 * ```
 *   0   8 bytes  magic "WEIRCS01"
 *   8   u32      header length H
 *  12   H bytes  header, UTF-8 JSON:
 *                { input:  [{ channel, edge, frames: [{ index, kind, bytes }] }], // consumer side, by input channel
 *                                                                              // (edge: input ordinal of the consumer vertex)
 *                  output: [{ edge, target, frames: [{ kind, bytes }] }] }     // producer side: frames not yet published,
 *                                                                              // by output edge and consumer subtask
 *  12+H …        the payloads, in header order (input first, then output)
 * ```
 * Frames are stream-element frames exactly as they travel on the wire (record
 * batches are self-contained record-codec payloads), so replay needs no other
 * context. The file's sha256 goes into the checkpoint's `_metadata`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { WeirError } from '../../common/weir-error.ts';
import type { Frame, IndexedFrame } from '../../actors/in-worker.ts';

const MAGIC = Buffer.from('WEIRCS01', 'latin1');

export interface InputChannelState {
  readonly channel: number;
  /** Which input of the consumer vertex the channel belongs to (its edge ordinal). */
  readonly edge: number;
  readonly frames: ReadonlyArray<IndexedFrame>;
}

export interface OutputChannelState {
  /** Output edge ordinal of the producer vertex. */
  readonly edge: number;
  /** Consumer subtask index on that edge. */
  readonly target: number;
  readonly frames: ReadonlyArray<Frame>;
}

export interface ChannelStateContents {
  readonly input: readonly InputChannelState[];
  readonly output: readonly OutputChannelState[];
}

export function channelStateBytes(c: ChannelStateContents): number {
  let n = 0;
  for (const ch of c.input) for (const f of ch.frames) n += f.payload.byteLength;
  for (const ch of c.output) for (const f of ch.frames) n += f.payload.byteLength;
  return n;
}

export function isEmptyChannelState(c: ChannelStateContents): boolean {
  return c.input.every((i) => i.frames.length === 0) && c.output.every((o) => o.frames.length === 0);
}

/** Write atomically enough for a checkpoint file (the `_metadata` written last is what commits it). */
export async function writeChannelStateFile(file: string, c: ChannelStateContents): Promise<{ bytes: number; sha256: string }> {
  const header = Buffer.from(JSON.stringify({
    input: c.input.map((i) => ({ channel: i.channel, edge: i.edge, frames: i.frames.map((f) => ({ index: f.index, kind: f.kind, bytes: f.payload.byteLength })) })),
    output: c.output.map((o) => ({ edge: o.edge, target: o.target, frames: o.frames.map((f) => ({ kind: f.kind, bytes: f.payload.byteLength })) })),
  }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length, 0);
  const parts: Uint8Array[] = [MAGIC, len, header];
  for (const i of c.input) for (const f of i.frames) parts.push(f.payload);
  for (const o of c.output) for (const f of o.frames) parts.push(f.payload);
  const hash = createHash('sha256');
  let bytes = 0;
  for (const p of parts) {
    hash.update(p);
    bytes += p.byteLength;
  }
  // Synchronous on purpose: the file is at most a few rings' worth (~1–2 ms with the fsync),
  // while each step of an asynchronous write waits for the worker's event loop, which
  // under backpressure is shared with operators running slices of several ms each — five
  // awaits cost tens of ms of checkpoint duration (measured with bench:checkpoints at 100x).
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  try {
    fs.writevSync(fd, parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return { bytes, sha256: hash.digest('hex') };
}

export async function readChannelStateFile(file: string, expectedSha256?: string): Promise<ChannelStateContents> {
  const buf = await fs.promises.readFile(file);
  const corrupt = (why: string) => new WeirError('WEIR_CHECKPOINT_CORRUPT', `channel state file ${file} is corrupt: ${why}`, { file });
  if (expectedSha256 !== undefined) {
    const got = createHash('sha256').update(buf).digest('hex');
    if (got !== expectedSha256) throw corrupt(`sha256 ${got} does not match the checkpoint metadata (${expectedSha256})`);
  }
  if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) throw corrupt('bad magic');
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) throw corrupt('truncated header');
  let header: { input: Array<{ channel: number; edge: number; frames: Array<{ index: number; kind: number; bytes: number }> }>; output: Array<{ edge: number; target: number; frames: Array<{ kind: number; bytes: number }> }> };
  try {
    header = JSON.parse(buf.subarray(12, 12 + hlen).toString('utf8'));
  } catch (e) {
    throw corrupt(`header is not JSON (${(e as Error).message})`);
  }
  let pos = 12 + hlen;
  const take = (n: number) => {
    if (pos + n > buf.length) throw corrupt('truncated payload');
    const p = new Uint8Array(buf.buffer, buf.byteOffset + pos, n).slice();
    pos += n;
    return p;
  };
  const input = header.input.map((i) => ({ channel: i.channel, edge: i.edge, frames: i.frames.map((f) => ({ index: f.index, kind: f.kind, payload: take(f.bytes) })) }));
  const output = header.output.map((o) => ({ edge: o.edge, target: o.target, frames: o.frames.map((f) => ({ kind: f.kind, payload: take(f.bytes) })) }));
  if (pos !== buf.length) throw corrupt(`${buf.length - pos} trailing bytes`);
  return { input, output };
}
