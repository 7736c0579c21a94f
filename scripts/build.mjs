// Builds one bundle per process: extension host, runtime (language server + CLI), each webview.
// Usage: node scripts/build.mjs [--production] [--watch] [--if-missing] [--no-typecheck]
import { build, context } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');

if (args.has('--if-missing') && existsSync(join(root, 'dist', 'runtime.js')) && existsSync(join(root, 'dist', 'extension.js'))) process.exit(0);

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const t0 = Date.now();

if (!watch && !args.has('--no-typecheck') && !args.has('--if-missing')) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', root], { stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.error('build: type errors (tsc --noEmit)');
    process.exit(1);
  }
}

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
  legalComments: 'linked',
};

/** @type {import('esbuild').BuildOptions[]} */
const bundles = [
  {
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    mainFields: ['module', 'main'],
  },
  {
    ...common,
    entryPoints: ['src/runtime/main.ts'],
    outfile: 'dist/runtime.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    mainFields: ['module', 'main'],
    define: { __LLMOPS_VERSION__: JSON.stringify(pkg.version) },
  },
  {
    ...common,
    entryPoints: ['webviews/sidebar/main.ts'],
    outfile: 'dist/webviews/sidebar.js',
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
  },
];

function copyAssets() {
  mkdirSync(join(root, 'dist', 'webviews'), { recursive: true });
  copyFileSync(join(root, 'webviews', 'sidebar', 'sidebar.css'), join(root, 'dist', 'webviews', 'sidebar.css'));
  for (const f of ['codicon.css', 'codicon.ttf']) {
    copyFileSync(join(root, 'node_modules', '@vscode', 'codicons', 'dist', f), join(root, 'dist', 'webviews', f));
  }
}

if (watch) {
  copyAssets();
  for (const b of bundles) await (await context(b)).watch();
  console.log('build: watching…');
} else {
  await Promise.all(bundles.map((b) => build(b)));
  copyAssets();
  console.log(`build: ${bundles.length} bundles in ${Date.now() - t0} ms${production ? ' (production)' : ''}`);
}
