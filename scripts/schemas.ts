// Writes schemas/*.schema.json from the zod schemas (the sources of truth), or with --check fails
// when a committed file differs from what the schemas generate now.
// Usage: npx tsx scripts/schemas.ts [--check]
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { formatNames } from '../src/core/dataset/formats';
import { formatSchemas } from '../src/core/dataset/schemas';
import { manifestSchema } from '../src/core/project/manifest';
import { trainConfigSchema } from '../src/core/train/config';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'schemas');
const check = process.argv.includes('--check');

const sources: Record<string, { schema: z.ZodType; from: string }> = {
  'llmops.schema.json': { schema: manifestSchema, from: 'src/core/project/manifest.ts' },
  'train.schema.json': { schema: trainConfigSchema, from: 'src/core/train/config.ts' },
};
for (const f of formatNames) {
  if (f !== 'unknown') sources[`${f}.schema.json`] = { schema: formatSchemas[f], from: 'src/core/dataset/schemas.ts' };
}

/**
 * Draft-07: what VS Code's JSON service and the Red Hat YAML server both implement fully (2020-12
 * support is partial in both). `io: 'input'` describes what a user writes, before any transform.
 */
function render(schema: z.ZodType, from: string): string {
  const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', reused: 'inline', unrepresentable: 'any' });
  const { $schema, ...rest } = json;
  return JSON.stringify({ $schema, $comment: `Generated from ${from} by scripts/schemas.ts; do not edit.`, ...rest }, null, 2) + '\n';
}

const stale: string[] = [];
if (!check) mkdirSync(outDir, { recursive: true });
for (const [file, { schema, from }] of Object.entries(sources)) {
  const path = join(outDir, file);
  const text = render(schema, from);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === text) continue;
  if (check) stale.push(file);
  else {
    writeFileSync(path, text);
    console.log(`schemas: wrote schemas/${file}`);
  }
}
const others = existsSync(outDir) ? readdirSync(outDir).filter((f) => f.endsWith('.schema.json') && !(f in sources)) : [];
if (others.length) console.log(`schemas: not generated here (left alone): ${others.join(', ')}`);
if (stale.length) {
  console.error(`schemas: stale or missing: ${stale.map((f) => `schemas/${f}`).join(', ')}. Run: npx tsx scripts/schemas.ts`);
  process.exit(1);
}
