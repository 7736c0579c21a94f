// Runs benchmarks the way the product runs: bundled by esbuild (scope-hoisted, no tsx interop
// getters on every imported call), then executed by plain node. Usage: node scripts/bench.mjs lint [args]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...rest] = process.argv.slice(2);
if (!name) {
  console.error('usage: node scripts/bench.mjs <lint|runtime|activation|quality|tokens|...> [args]');
  process.exit(2);
}
const out = join(root, 'out', 'bench', `${name}.js`);
mkdirSync(dirname(out), { recursive: true });
await build({
  entryPoints: [join(root, 'test', 'bench', `${name}.ts`)],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const r = spawnSync(process.execPath, ['--expose-gc', out, ...rest], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
