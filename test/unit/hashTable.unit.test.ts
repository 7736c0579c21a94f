import { strict as assert } from 'node:assert';
import { HashLineMap } from '../../src/core/quality/hashTable';

describe('HashLineMap', () => {
  it('keeps the first line of every 53-bit key through growth', () => {
    const m = new HashLineMap(4);
    const ref = new Map<number, number>();
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647);
    for (let i = 0; i < 50_000; i++) {
      const key = (rnd() % 1000) * 2 ** 40 + rnd(); // many shared high parts
      const first = ref.get(key) ?? (ref.set(key, i), i);
      assert.equal(m.setIfAbsent(key, i), first);
      if (i % 3 === 0) assert.equal(m.setIfAbsent(key, i + 1), first);
    }
    assert.equal(m.size, ref.size);
    for (const [k, v] of ref) assert.equal(m.get(k), v);
    assert.equal(m.get(12345), undefined);
  });
});
