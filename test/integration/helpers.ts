import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = join(__dirname, '..', '..');
export const runtimeJs = join(root, 'dist', 'runtime.js');
export const cliJs = join(root, 'bin', 'llmops.js');

/** Integration tests run the real bundle; build it once if a plain `mocha` run finds none. */
export function ensureBuilt(): void {
  if (existsSync(runtimeJs)) return;
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--no-typecheck'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `llmops-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
