/**
 * The randomness of the Nexmark generator, made deterministic: the reference draws every event's
 * fields from an unseeded `SplittableRandom`; here each event has its own stream of numbers,
 * seeded by (seed, event number), so event n is a pure function of n — generators at any
 * parallelism, and a generator restored from a checkpoint, produce exactly the same events.
 *
 * The stream is mulberry32 (a 32-bit state, one multiply-xorshift per number: fast, and good
 * enough for synthetic data); the seed is mixed from (seed, n) with murmur3's finalizer so that
 * neighbouring event numbers get unrelated streams.
 */

const TWO_32 = 4294967296;

export class EventRandom {
  private state = 0;

  /** Start the stream of event `n` under `seed`. */
  reset(seed: number, n: number): this {
    let h = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) ^ (n >>> 0);
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d) ^ Math.floor(n / TWO_32);
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
    this.state = (h ^ (h >>> 16)) | 0;
    return this;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  nextDouble(): number {
    return this.nextU32() / TWO_32;
  }

  /** Uniform integer in [0, n), n ≤ 2^32 (Java's `nextInt(n)`). */
  nextInt(n: number): number {
    return Math.floor((this.nextU32() / TWO_32) * n);
  }
}

const MIN_STRING_LENGTH = 3;
const A = 'a'.charCodeAt(0);

/** `StringsGenerator.nextString`: 3 … maxLength-1 letters, about 1 in 13 of them `special`, trimmed. */
export function nextString(r: EventRandom, maxLength: number, special = ' '): string {
  let len = MIN_STRING_LENGTH + r.nextInt(maxLength - MIN_STRING_LENGTH);
  let s = '';
  while (len-- > 0) s += r.nextInt(13) === 0 ? special : String.fromCharCode(A + r.nextInt(26));
  return special === ' ' ? s.trim() : s;
}

/** One long random string that `nextExactString` cuts pieces from (the reference's REUSABLE_EXTRA_STRING). */
const REUSABLE_LENGTH = 1 << 16;
let reusable: string | undefined;
function reusableString(): string {
  if (reusable === undefined) {
    const r = new EventRandom().reset(0x5eed, 0);
    const chars: string[] = [];
    for (let i = 0; i < REUSABLE_LENGTH; i++) chars.push(String.fromCharCode(A + r.nextInt(26)));
    reusable = chars.join('');
  }
  return reusable;
}

/** `StringsGenerator.nextExactString`: `length` letters (a piece of the reusable string). */
export function nextExactString(r: EventRandom, length: number): string {
  const source = reusableString();
  const offset = r.nextInt(source.length - length);
  return source.substring(offset, offset + length);
}

/** `StringsGenerator.nextExtra`: padding that brings the event to `desiredAverageSize` bytes on average (±20 %). */
export function nextExtra(r: EventRandom, currentSize: number, desiredAverageSize: number): string {
  if (currentSize > desiredAverageSize) return '';
  const desired = desiredAverageSize - currentSize;
  const delta = Math.round(desired * 0.2);
  const size = desired - delta + (delta === 0 ? 0 : r.nextInt(2 * delta));
  return nextExactString(r, size);
}

/** `PriceGenerator.nextPrice`: log-uniform cents between 100 and 10^8. */
export function nextPrice(r: EventRandom): number {
  return Math.round(10 ** (r.nextDouble() * 6) * 100);
}
