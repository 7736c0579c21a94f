/**
 * A map from 53-bit hashes to first line numbers in typed arrays: 12 bytes a slot at ≤ 50% load,
 * where a Map<number, number> costs several times that. Streamed 1 GB files hold one entry per
 * record, so this is what keeps duplicate detection inside the memory budget.
 */
export class HashLineMap {
  private keys: Float64Array;
  private values: Int32Array;
  private used = 0;

  constructor(capacity = 1024) {
    let c = 1024;
    while (c < capacity * 2) c *= 2;
    this.keys = new Float64Array(c).fill(-1);
    this.values = new Int32Array(c);
  }

  get size(): number {
    return this.used;
  }

  private slot(key: number, keys: Float64Array): number {
    const mask = keys.length - 1;
    // Mix the high and low parts: the keys are hashes already, but 53-bit doubles.
    let i = (Math.imul((key / 0x100000000) | 0, 0x9e3779b1) ^ (key | 0)) & mask;
    while (keys[i] !== -1 && keys[i] !== key) i = (i + 1) & mask;
    return i;
  }

  get(key: number): number | undefined {
    const i = this.slot(key, this.keys);
    return this.keys[i] === key ? this.values[i] : undefined;
  }

  /** Stores `value` unless the key is present; returns the value stored under the key. */
  setIfAbsent(key: number, value: number): number {
    let i = this.slot(key, this.keys);
    if (this.keys[i] === key) return this.values[i];
    if ((this.used + 1) * 2 > this.keys.length) {
      this.grow();
      i = this.slot(key, this.keys);
    }
    this.keys[i] = key;
    this.values[i] = value;
    this.used++;
    return value;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Float64Array(oldKeys.length * 2).fill(-1);
    this.values = new Int32Array(oldKeys.length * 2);
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] === -1) continue;
      const j = this.slot(oldKeys[i], this.keys);
      this.keys[j] = oldKeys[i];
      this.values[j] = oldValues[i];
    }
  }
}
