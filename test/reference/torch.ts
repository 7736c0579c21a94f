// What the tests that compare with our plain-PyTorch reference code share: Debian's interpreter,
// whether it has torch, and the error measure every comparison uses.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's interpreter (python3-torch, python3-numpy from apt; .ci/run installs them). */
export const PYTHON = '/usr/bin/python3';

/** Why the torch reference cannot run here, or undefined when it can. */
export function torchUnavailable(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not found`;
  if (r.status !== 0) return `${PYTHON} has no torch/numpy (apt-get install python3-torch python3-numpy)`;
  return undefined;
}

/**
 * The hooks of a suite that compares with the reference: skipped (saying why) where torch is missing,
 * else a scratch folder made before and removed after. Returns the folder's getter (for the tests).
 */
export function torchScratch(prefix: string): () => string {
  let dir = '';
  before(function () {
    const why = torchUnavailable();
    if (why) {
      console.log(`    skipped: ${why}`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}

/** max |a − b| / max |b|: the largest difference relative to the reference's largest magnitude. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relErr: lengths differ (${a.length} vs ${b.length})`);
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
}

/** The bytes of a typed array, to write as a raw file the reference reads. */
export const rawBytes = (a: Float32Array | BigInt64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
