/** Seeded PRNG (mulberry32) for tests and benchmarks, so a failing case can be replayed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` random lowercase words of `minLen`..`minLen + spread - 1` letters. */
export function randomVocabulary(rand: () => number, count: number, minLen: number, spread: number): string[] {
  return Array.from({ length: count }, () => {
    let w = '';
    const len = minLen + Math.floor(rand() * spread);
    for (let i = 0; i < len; i++) w += String.fromCharCode(97 + Math.floor(rand() * 26));
    return w;
  });
}
