import { uniform } from '../src/runtime/models/random';

/** Seeded PRNG (mulberry32, the one model init uses) for tests and benchmarks, so a failing case can be replayed. */
export const rng = (seed: number): (() => number) => uniform(seed);

/** `count` random lowercase words of `minLen`..`minLen + spread - 1` letters. */
export function randomVocabulary(rand: () => number, count: number, minLen: number, spread: number): string[] {
  return Array.from({ length: count }, () => {
    let w = '';
    const len = minLen + Math.floor(rand() * spread);
    for (let i = 0; i < len; i++) w += String.fromCharCode(97 + Math.floor(rand() * 26));
    return w;
  });
}
