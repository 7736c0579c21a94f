// Packages the extension into out/llmops-workbench.vsix (production build first).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(join(root, 'out'), { recursive: true });
const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
// Everything is bundled by esbuild: node_modules stays out of the package.
const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', join(root, 'out', 'llmops-workbench.vsix')], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
