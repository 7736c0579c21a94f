import * as assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { costLensTitle } from '../../src/runtime/cost';
import { runCost } from '../../src/runtime/costCommand';
import { CostService, trainSettings } from '../../src/runtime/costLens';
import { clippedSum, countDatasetTokens, countFileTokens, sampleDatasetTokens, TokenCountCache } from '../../src/runtime/datasetTokens';
import { JsonlDocument } from '../../src/core/lint/jsonlDocument';
import { loadProject } from '../../src/runtime/project';
import { resolveTokenizer } from '../../src/runtime/tokenizers';

const chat = (user: string, assistant: string): string => JSON.stringify({ messages: [{ role: 'user', content: user }, { role: 'assistant', content: assistant }] });

describe('llmops cost', function () {
  this.timeout(60_000);
  let tmp: string;
  let out: string;
  let err: string;
  const io = () => ({ out: (s: string) => void (out += s), err: (s: string) => void (err += s), cwd: tmp });
  const manifest = (extra = ''): void => writeFileSync(path.join(tmp, 'llmops.yaml'), `version: 1\nproject:\n  name: demo\nbase_model: gpt-4o-mini\nvolume:\n  monthly_requests: 500000\n  avg_prompt_tokens: 1000\n  avg_output_tokens: 100\n${extra}`);
  beforeEach(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'llmops-cost-'));
    out = '';
    err = '';
    mkdirSync(path.join(tmp, 'data'));
    // 10 records of 14 tokens each by the cookbook rule: 3 + (3+1+1) + (3+1+2); one line that is not a record.
    writeFileSync(path.join(tmp, 'data', 'train.jsonl'), [...Array.from({ length: 10 }, () => chat('Hi', 'Hello!')), 'oops', ''].join('\n'));
    manifest();
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('prints the JSON shape with OpenAI counting, the default epochs and the training price', async () => {
    assert.equal(await runCost(['data/train.jsonl', '--format', 'json'], io()), 0, err);
    const r = JSON.parse(out);
    assert.deepEqual(Object.keys(r).slice(0, 10), ['model', 'tokenizer', 'exact', 'records', 'tokens', 'billedTokens', 'epochs', 'trainingCostUsd', 'gpu', 'inference']);
    assert.equal(r.model, 'gpt-4o-mini');
    assert.equal(r.tokenizer, 'o200k_base');
    assert.equal(r.exact, true);
    assert.equal(r.records, 10);
    assert.equal(r.tokens, 140);
    // 10 records: 10 × 3 < 100 → min(25, 100 // 10) = 10 epochs.
    assert.equal(r.epochs, 10);
    assert.equal(r.epochsDefaulted, true);
    assert.equal(r.billedTokens, 1400);
    // gpt-4o-mini training: $3 per 1M tokens → 1400 × 3e-6 = $0.0042.
    assert.equal(r.trainingCostUsd, 0.0042);
    assert.equal(r.gpu, null);
    // Fine-tuned gpt-4o-mini inference: $0.30 / $1.20 per 1M → 1000 × 0.3e-6 + 100 × 1.2e-6 = $0.00042 per request, $210 a month.
    assert.equal(r.inference.hosted.model, 'ft:gpt-4o-mini-2024-07-18');
    assert.ok(Math.abs(r.inference.hosted.perRequestUsd - 0.00042) < 1e-12);
    assert.equal(r.inference.hosted.perMonthUsd, 210);
    assert.equal(r.catalog.date, '2025-09-05');
    // ROI vs gpt-4o ($2.50 / $10 per 1M): 1000 × 2.5e-6 + 100 × 1e-5 = $0.0035 a request, $1,750 a month;
    // the fine-tune saves 1750 − 210 = $1,540 a month; upfront 40 h × $30 + $0.0042 → 0.78 months.
    assert.equal(r.roi.apiModel, 'gpt-4o');
    assert.equal(r.roi.apiMonthlyUsd, 1750);
    assert.equal(r.roi.monthlySavingsUsd, 1540);
    assert.equal(r.roi.upfrontUsd, 1200);
    assert.ok(Math.abs(r.roi.breakEvenMonths - 1200.0042 / 1540) < 0.005, String(r.roi.breakEvenMonths));
  });

  it('--epochs, --model and a price override (the override wins)', async () => {
    manifest('prices:\n  gpt-4o-mini-2024-07-18:\n    training_per_million: 5\n');
    assert.equal(await runCost(['data/train.jsonl', '--format', 'json', '--epochs', '2'], io()), 0, err);
    const r = JSON.parse(out);
    assert.equal(r.epochs, 2);
    assert.equal(r.billedTokens, 280);
    assert.equal(r.trainingCostUsd, 0.0014);
    assert.equal(r.trainingPrice.overridden, true);
    out = '';
    assert.equal(await runCost(['data/train.jsonl', '--model', 'gpt-4', '--format', 'json'], io()), 0, err);
    assert.equal(JSON.parse(out).tokenizer, 'cl100k_base');
  });

  it('rejects prices of 0 or below with a message and keeps the catalog price', async () => {
    manifest('prices:\n  gpt-4o-mini-2024-07-18:\n    training_per_million: 0\n');
    assert.equal(await runCost(['data/train.jsonl', '--format', 'json'], io()), 0);
    assert.match(err, /llmops\.yaml:\d+:\d+: prices\.gpt-4o-mini-2024-07-18\.training_per_million: .*greater than 0/);
    assert.equal(JSON.parse(out).trainingCostUsd, 0.0042);
  });

  it('prices an open model on a GPU from its config.json, with the memory breakdown', async () => {
    const dir = path.join(tmp, 'tiny');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, vocab_size: 49152, tie_word_embeddings: true }));
    assert.equal(await runCost(['data/train.jsonl', '--model', './tiny', '--gpu', 'L4', '--epochs', '3', '--format', 'json'], io()), 0, err);
    const r = JSON.parse(out);
    assert.equal(r.exact, false, 'no tokenizer.json in the folder: an estimate');
    assert.equal(r.gpu.name.startsWith('L4'), true);
    assert.equal(r.gpu.method, 'lora');
    assert.ok(Math.abs(r.gpu.params - 134.5e6) / 134.5e6 < 0.005);
    // LoRA: FLOPs ≈ 4·N·T with T = billed tokens.
    assert.equal(r.gpu.flops, 4 * r.gpu.params * r.billedTokens);
    assert.equal(r.gpu.memory.fits, true);
    assert.equal(r.trainingCostSource, 'gpu');
    assert.ok(r.inference.selfHosted.perMonthUsd > 0);
  });

  it('suggests the nearest names for an unknown model or GPU; exits 2 on bad options', async () => {
    assert.equal(await runCost(['data/train.jsonl', '--model', 'gpt4o-mini'], io()), 2);
    assert.match(err, /unknown model "gpt4o-mini".*Did you mean .*gpt-4o-mini/s);
    err = '';
    assert.equal(await runCost(['data/train.jsonl', '--model', './nowhere', '--gpu', 'H1000'], io()), 2);
    err = '';
    assert.equal(await runCost(['data/train.jsonl', '--epochs', '0'], io()), 2);
    assert.match(err, /--epochs must be/);
    assert.equal(await runCost(['nope.jsonl'], io()), 2);
    assert.equal(await runCost([], io()), 2);
  });

  it('prints a readable text report', async () => {
    assert.equal(await runCost(['data/train.jsonl'], io()), 0, err);
    assert.match(out, /records +10/);
    assert.match(out, /tokens +140 +\(o200k_base\)/);
    assert.match(out, /training cost +≈ \$0\.0042/);
    assert.match(out, /snapshot 2025-09-05/);
  });
});

describe('dataset token counts', function () {
  this.timeout(30_000);
  it('counts per record with line numbers, skips non-records, clips at a limit', async () => {
    const h = await resolveTokenizer('gpt-4o-mini', { projectRoot: tmpdir() });
    const lines = [chat('Hi', 'Hello!'), '', 'nope', '[1]', chat('Hi', 'Hello!')];
    const t = (await countDatasetTokens(lines, h, 'x', { sliceMs: 0 }))!;
    assert.equal(t.records, 2);
    assert.equal(t.skipped, 2);
    assert.deepEqual([...t.lines], [0, 4]);
    assert.deepEqual([...t.counts], [14, 14]);
    assert.equal(clippedSum(t, 10), 20);
    assert.equal(clippedSum(t, undefined), 28);
  });

  it('a streamed file count equals the in-memory count and hashes the bytes', async () => {
    const h = await resolveTokenizer('gpt-4o-mini', { projectRoot: tmpdir() });
    const dir = mkdtempSync(path.join(tmpdir(), 'llmops-count-'));
    const lines = Array.from({ length: 500 }, (_, i) => chat(`question ${i} ${'x'.repeat(i % 37)}`, `answer ${i}`));
    writeFileSync(path.join(dir, 'a.jsonl'), lines.join('\r\n'));
    try {
      const a = await countFileTokens(path.join(dir, 'a.jsonl'), h);
      const b = (await countDatasetTokens(lines, h, 'x', { sliceMs: 0 }))!;
      assert.equal(a.tokens, b.tokens);
      assert.deepEqual([...a.counts], [...b.counts]);
      assert.match(a.contentHash, /^[0-9a-f]{64}$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a sampled estimate is marked and close to the exact count', async () => {
    const h = await resolveTokenizer('gpt-4o-mini', { projectRoot: tmpdir() });
    const lines = Array.from({ length: 20_000 }, (_, i) => chat(`question ${i} ${'word '.repeat(i % 50)}`, `answer ${i}`));
    const exact = (await countDatasetTokens(lines, h, 'x', { sliceMs: 0 }))!;
    const s = sampleDatasetTokens(lines, h, 'x', 50);
    assert.equal(s.exact, false);
    assert.ok(s.sampled > 0 && s.sampled <= 1);
    assert.equal(s.records, 20_000);
    assert.ok(Math.abs(s.tokens - exact.tokens) / exact.tokens < 0.05, `${s.tokens} vs ${exact.tokens}`);
  });

  it('stops when cancelled (the document changed) and reuses the memo for unchanged lines', async () => {
    const h = await resolveTokenizer('gpt-4o-mini', { projectRoot: tmpdir() });
    const lines = Array.from({ length: 5000 }, (_, i) => chat(`q${i}`, `a${i}`));
    let calls = 0;
    const r = await countDatasetTokens(lines, h, 'x', { sliceMs: 0.001, cancelled: () => ++calls > 1 });
    assert.equal(r, null);
    const memo = new Map<string, number>();
    await countDatasetTokens(lines, h, 'x', { sliceMs: 0, memo });
    assert.equal(memo.size, 5000);
    const edited = [...lines];
    edited[7] = chat('changed', 'line');
    const again = (await countDatasetTokens(edited, h, 'x', { sliceMs: 0, memo }))!;
    assert.equal(memo.size, 5001);
    assert.equal(again.records, 5000);
  });

  it('the cache keeps recent results by content hash and tokenizer', () => {
    const c = new TokenCountCache(2);
    const v = { tokens: 1 } as never;
    c.set('h1', 't', undefined, v);
    c.set('h2', 't', undefined, v);
    assert.equal(c.get('h1', 't'), v);
    c.set('h3', 't', undefined, v);
    assert.equal(c.get('h2', 't'), undefined, 'least recently used goes first');
    assert.equal(c.get('h1', 't'), v);
    assert.equal(c.get('h1', 'other'), undefined);
  });
});

describe('cost in the editor (CostService)', function () {
  this.timeout(30_000);
  it('shows the lens, recounts after an edit, and serves the re-opened file from the cache', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'llmops-lens-'));
    try {
      writeFileSync(path.join(tmp, 'llmops.yaml'), 'version: 1\nproject:\n  name: demo\nbase_model: gpt-4o-mini\n');
      const file = path.join(tmp, 'train.jsonl');
      const text = Array.from({ length: 40 }, () => chat('Hi', 'Hello!')).join('\n') + '\n';
      writeFileSync(file, text);
      const uri = `file://${file}`;
      const project = await loadProject(path.join(tmp, 'llmops.yaml'), tmp);
      const docs = new Map<string, { doc: JsonlDocument; version: number; edited: boolean }>();
      let refreshed = 0;
      const svc = new CostService({ projectFor: async () => project, doc: (u) => docs.get(u), refresh: () => void refreshed++, log: () => undefined });
      const until = async (f: () => boolean): Promise<void> => {
        for (let i = 0; i < 400 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
        assert.ok(f(), 'timed out');
      };
      docs.set(uri, { doc: new JsonlDocument(text), version: 1, edited: false });
      assert.match(svc.lenses(uri, 1)[0].command!.title, /Counting tokens/);
      await until(() => refreshed > 0);
      const title = svc.lenses(uri, 1)[0].command!.title;
      assert.match(title, /40 records · 560 tokens · ≈ \$0\.0\d+ to fine-tune gpt-4o-mini \(3 epochs\)/);
      assert.equal(svc.summary(uri)!.tokens, 560);
      assert.equal(svc.summary(uri, [{ start: 0, end: 4 }])!.tokens, 70);
      assert.match(svc.hoverLine(uri, 3)!, /Cost share: 2\.50% of the dataset's 560 tokens/);
      assert.equal(svc.inlayHints(uri, 0, 2, () => 10).length, 3);
      // An edit: a new version is counted after a short delay.
      const doc = docs.get(uri)!;
      doc.doc.applyChange(chat('Hello there, how are you today?', 'Fine, thanks.') + '\n', { start: { line: 40, character: 0 }, end: { line: 40, character: 0 } });
      doc.version = 2;
      doc.edited = true;
      const before = refreshed;
      svc.lenses(uri, 2);
      await until(() => refreshed > before);
      assert.match(svc.lenses(uri, 2)[0].command!.title, /^\$\(symbol-numeric\) 41 records/);
      // Closed and re-opened unchanged: the content hash hits the cache.
      svc.forget(uri);
      docs.set(uri, { doc: new JsonlDocument(text), version: 1, edited: false });
      svc.lenses(uri, 1);
      const t0 = performance.now();
      const b2 = refreshed;
      await until(() => refreshed > b2);
      assert.ok(performance.now() - t0 < 1000);
      assert.match(costLensTitle(svc.breakdown(uri)!.report!), /40 records/);
      // A file that grows on disk while open is recounted from the buffer, not the stale cache.
      appendFileSync(file, chat('more', 'data') + '\n');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('cost of a training config (CodeLens)', function () {
  this.timeout(30_000);
  it('reads epochs and method loosely', () => {
    assert.deepEqual(trainSettings('training:\n  epochs: 4\nadapter:\n  type: lora\n'), { epochs: 4, method: 'lora' });
    assert.deepEqual(trainSettings('epochs: 2\nadapter:\n  type: full\n'), { epochs: 2, method: 'full' });
    assert.deepEqual(trainSettings(': : bad'), {});
  });

  it('prices the run of an open *.train.yaml from its dataset on disk', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'llmops-cfg-'));
    try {
      writeFileSync(path.join(tmp, 'llmops.yaml'), 'version: 1\nproject:\n  name: demo\n');
      writeFileSync(path.join(tmp, 'train.jsonl'), Array.from({ length: 50 }, () => chat('Hi', 'Hello!')).join('\n') + '\n');
      const cfgText = 'base_model: gpt-4o-mini\ndatasets:\n  train: train.jsonl\ntraining:\n  epochs: 2\n';
      const uri = `file://${path.join(tmp, 'sft.train.yaml')}`;
      const project = await loadProject(path.join(tmp, 'llmops.yaml'), tmp);
      let refreshed = 0;
      let text = cfgText;
      let version = 1;
      const svc = new CostService({ projectFor: async () => project, doc: () => undefined, config: (u) => (u === uri ? { text, version } : undefined), refresh: () => void refreshed++, log: () => undefined });
      svc.lenses(uri, 1);
      for (let i = 0; i < 300 && !refreshed; i++) await new Promise((r) => setTimeout(r, 10));
      // 50 records × 14 tokens × 2 epochs = 1400 billed tokens × $3/1M.
      assert.match(svc.lenses(uri, 1)[0].command!.title, /Run cost ≈ \$0\.0042: 50 records, 700 tokens × 2 epochs on gpt-4o-mini/);
      text = cfgText.replace('epochs: 2', 'epochs: 4');
      version = 2;
      const before = refreshed;
      svc.lenses(uri, 2);
      for (let i = 0; i < 300 && refreshed === before; i++) await new Promise((r) => setTimeout(r, 10));
      assert.match(svc.lenses(uri, 2)[0].command!.title, /Run cost ≈ \$0\.0084: .* × 4 epochs/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('cost of a prompt file (CodeLens)', function () {
  this.timeout(30_000);
  it('counts the prompt with the project model and prices one request and a month', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'llmops-prompt-'));
    try {
      writeFileSync(path.join(tmp, 'llmops.yaml'), 'version: 1\nproject:\n  name: demo\nbase_model: gpt-4o-mini\nvolume:\n  monthly_requests: 500000\n  avg_output_tokens: 100\n');
      const uri = `file://${path.join(tmp, 'support.prompt.md')}`;
      const project = await loadProject(path.join(tmp, 'llmops.yaml'), tmp);
      let refreshed = 0;
      const svc = new CostService({ projectFor: async () => project, doc: () => undefined, config: (u) => (u === uri ? { text: 'Hello world', version: 1, kind: 'prompt' as const } : undefined), refresh: () => void refreshed++, log: () => undefined });
      svc.lenses(uri, 1);
      for (let i = 0; i < 300 && !refreshed; i++) await new Promise((r) => setTimeout(r, 10));
      // 2 tokens × $0.15/1M + 100 × $0.60/1M = $0.0000603 a request; × 500,000 = $30.15 a month.
      assert.equal(svc.lenses(uri, 1)[0].command!.title, '$(symbol-numeric) 2 tokens (o200k_base) · $0.000060 per request on gpt-4o-mini (+100 output tokens) · $30.15/month at 500,000 requests');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
