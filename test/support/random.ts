/** Seeded PRNG (mulberry32) so test inputs are random but reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInts(seed: number, n: number, max: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * max) - Math.floor(max / 2));
}

export function sortNumbers(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

export function groupBy<T, K>(xs: readonly T[], key: (x: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const x of xs) {
    const k = key(x);
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    l.push(x);
  }
  return m;
}
