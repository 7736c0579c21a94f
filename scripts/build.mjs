// Builds one bundle per process: extension host, runtime (language server + CLI), each webview.
// Usage: node scripts/build.mjs [--production] [--watch] [--if-missing] [--no-typecheck]
import { build, context } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  // The committed JSON Schemas must match the zod schemas they are generated from.
  const schemaCheck = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'schemas.ts'), '--check'], { stdio: 'inherit', cwd: root });
  if (schemaCheck.status !== 0) {
    console.error('build: schemas/ is stale: run npm run schemas');
    process.exit(1);
  }
  // The rules reference page is generated from the rule docs, like `llmops explain`.
  const docsCheck = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'rulesDoc.ts'), '--check'], { stdio: 'inherit', cwd: root });
  if (docsCheck.status !== 0) process.exit(1);
}

/**
 * zod bundles its error messages in 40 languages (390 KB, a sixth of the runtime bundle, parsed and
 * evaluated at every start); our messages are English, so `z.locales` is cut down to `en`.
 * @type {import('esbuild').Plugin}
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]zod[\\/]v4[\\/](classic|core|mini)[\\/]/.test(args.importer)) return undefined;
      const en = join(dirname(args.importer), '..', 'locales', 'en.js');
      if (!existsSync(en)) throw new Error(`${en}: missing (zod changed its locale layout)`);
      return { path: en, namespace: 'zod-locales' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
  legalComments: 'linked',
  plugins: [zodEnglishOnly],
};

/**
 * transformers.js loads onnxruntime-node with `createRequire(import.meta.url)(…)`, which no alias
 * reaches: point that call at the stub too (the tokenizer bundle never runs a model).
 * @type {import('esbuild').Plugin}
 */
const noNativeRequire = {
  name: 'no-native-require',
  setup(b) {
    b.onLoad({ filter: /@huggingface[\\/]transformers[\\/]dist[\\/].*\.mjs$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const call = 'requireFromHere("onnxruntime-node")';
      if (!text.includes(call)) throw new Error(`${args.path}: expected ${call} (transformers.js changed how it loads ONNX Runtime)`);
      const stub = JSON.stringify(join(root, 'src', 'runtime', 'vendor', 'noNative.ts'));
      return { contents: `import * as __llmopsNoNative from ${stub};\n${text.split(call).join('__llmopsNoNative')}`, loader: 'js' };
    });
  },
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
    // Lets activate() report the whole cost, bundle evaluation included.
    banner: { js: 'var __llmopsLoadStart = performance.now();' },
  },
  {
    ...common,
    entryPoints: ['src/extension/deferred.ts'],
    outfile: 'dist/deferred.js',
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
    // Tokenizers are bundled on their own (below) and required from dist/tokenizers/ when needed;
    // the package imports stay external for runs from source (tests, tsx).
    external: ['@huggingface/transformers', 'onnxruntime-node', 'onnxruntime-common', 'sharp', 'gpt-tokenizer'],
  },
  // Tokenizers, one file each so that the runtime parses only the one a project uses.
  ...[
    ['o200k_base', 'src/runtime/vendor/o200kBase.ts'],
    ['cl100k_base', 'src/runtime/vendor/cl100kBase.ts'],
    ['hf', 'src/runtime/vendor/hfTokenizers.ts'],
  ].map(([name, entry]) => ({
    ...common,
    entryPoints: [entry],
    outfile: `dist/tokenizers/${name}.js`,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: false,
    alias: name === 'hf' ? { 'onnxruntime-node': './src/runtime/vendor/noNative.ts', 'onnxruntime-common': './src/runtime/vendor/noNative.ts', sharp: './src/runtime/vendor/noNative.ts' } : {},
    plugins: name === 'hf' ? [noNativeRequire, zodEnglishOnly] : [zodEnglishOnly],
  })),
  {
    ...common,
    entryPoints: ['webviews/sidebar/main.ts'],
    outfile: 'dist/webviews/sidebar.js',
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
  },
  {
    ...common,
    // The Decision sidebar bundles the pure decision engine: the recommendation updates without a round trip.
    entryPoints: ['webviews/decision/main.ts'],
    outfile: 'dist/webviews/decision.js',
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    // Lets the view split its first-paint time into loading, evaluating and rendering.
    banner: { js: 'var __decisionScriptStart = performance.now();' },
  },
];

function copyAssets() {
  mkdirSync(join(root, 'dist', 'webviews'), { recursive: true });
  copyFileSync(join(root, 'webviews', 'sidebar', 'sidebar.css'), join(root, 'dist', 'webviews', 'sidebar.css'));
  copyFileSync(join(root, 'webviews', 'decision', 'decision.css'), join(root, 'dist', 'webviews', 'decision.css'));
  for (const f of ['codicon.css', 'codicon.ttf']) {
    copyFileSync(join(root, 'node_modules', '@vscode', 'codicons', 'dist', f), join(root, 'dist', 'webviews', f));
  }
  // The price catalog the runtime reads (dist/data next to dist/runtime.js), with its license.
  mkdirSync(join(root, 'dist', 'data'), { recursive: true });
  for (const f of ['model_prices.json', 'model_prices.LICENSE', 'SOURCES.md']) copyFileSync(join(root, 'data', f), join(root, 'dist', 'data', f));
}

/** Licenses of every npm package that ends up inside a bundle, written next to the bundles. */
function writeNotices(metafiles) {
  const pkgs = new Map();
  for (const meta of metafiles) {
    for (const input of Object.keys(meta.inputs)) {
      if (input.startsWith('zod-locales:')) continue; // the cut-down locale list above: zod's own files are listed
      const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g);
      if (!m) continue;
      const dir = join(root, input.slice(0, input.lastIndexOf(m[m.length - 1]) + m[m.length - 1].length));
      if (!pkgs.has(dir)) pkgs.set(dir, true);
    }
  }
  // Copied, not bundled: the codicon font and stylesheet used by the webviews.
  pkgs.set(join(root, 'node_modules', '@vscode', 'codicons'), true);
  // Pre-bundled inside transformers.js's dist (so absent from the metafile): its tokenizers and template engine.
  for (const p of ['jinja', 'tokenizers']) if (existsSync(join(root, 'node_modules', '@huggingface', p))) pkgs.set(join(root, 'node_modules', '@huggingface', p), true);
  const parts = ['# Third-party notices', '', 'LLMOps Workbench bundles the following packages.', ''];
  for (const dir of [...pkgs.keys()].sort()) {
    const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const lic = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
    parts.push(`## ${p.name} ${p.version} (${p.license ?? 'see license'})`, '');
    if (lic) parts.push('```', readFileSync(join(dir, lic), 'utf8').trim(), '```', '');
  }
  parts.push(
    '## Price catalog: data/model_prices.json (MIT)',
    '',
    'From AgentOps-AI/tokencost `tokencost/model_prices.json` at commit e7f7c1928084af55bb4955102327982401ed8649 (snapshot 2025-09-05), itself derived from BerriAI/litellm `model_prices_and_context_window.json`.',
    '',
    '```',
    readFileSync(join(root, 'data', 'model_prices.LICENSE'), 'utf8').trim(),
    '```',
    '',
  );
  writeFileSync(join(root, 'dist', 'THIRD_PARTY_NOTICES.md'), parts.join('\n'));
}

if (watch) {
  copyAssets();
  for (const b of bundles) await (await context(b)).watch();
  console.log('build: watching…');
} else {
  const results = await Promise.all(bundles.map((b) => build({ ...b, metafile: true })));
  copyAssets();
  writeNotices(results.map((r) => r.metafile));
  console.log(`build: ${bundles.length} bundles in ${Date.now() - t0} ms${production ? ' (production)' : ''}`);
}
