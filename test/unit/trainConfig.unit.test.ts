import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol/node';
import { createConnection } from 'vscode-languageserver/node';
import { z } from 'zod';
import { learningRate, parseTrainConfig, totalSteps, trainConfigSchema, type TrainConfigProblem } from '../../src/core/train/config';
import { startServer } from '../../src/runtime/server';

/** [line, column, endLine, endColumn, message] of each problem (0-based). */
const found = (ps: TrainConfigProblem[]) => ps.map((p) => [p.line, p.column, p.endLine, p.endColumn, p.message]);
const parse = (lines: string[]) => parseTrainConfig(lines.join('\n'), 'sft.train.yaml');

const minimal = ['base_model: ./models/tiny', 'datasets:', '  train: data/train.jsonl', 'training:', '  epochs: 2'];

describe('training config (*.train.yaml)', () => {
  it('fills every default of a minimal config', () => {
    const r = parse(minimal);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.config, {
      base_model: './models/tiny',
      datasets: { train: 'data/train.jsonl' },
      method: 'sft',
      adapter: { type: 'lora', r: 8, alpha: 16, dropout: 0.05, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] },
      training: { epochs: 2, batch_size: 4, grad_accum: 1, lr: 2e-4, scheduler: 'cosine', warmup_ratio: 0.03, weight_decay: 0, max_grad_norm: 1, max_seq_len: 1024, truncation: 'truncate', seed: 42 },
      engine: 'builtin',
      output_dir: '.llmops/runs',
    });
  });

  it('reads a full DPO config (YAML 1.2 numbers like 2e-4 are numbers)', () => {
    const r = parse([
      'base_model: HuggingFaceTB/SmolLM2-135M',
      'datasets: {train: data/prefs.jsonl, eval: data/prefs-eval.jsonl}',
      'method: dpo',
      'adapter: {type: lora, r: 16, alpha: 32, dropout: 0, target_modules: [q_proj, v_proj, gate_proj, up_proj, down_proj]}',
      'training:',
      '  max_steps: 200',
      '  batch_size: 2',
      '  grad_accum: 8',
      '  lr: 5e-5',
      '  scheduler: linear',
      '  warmup_ratio: 0.1',
      '  weight_decay: 0.01',
      '  max_grad_norm: 0',
      '  max_seq_len: 512',
      '  truncation: drop',
      '  seed: 7',
      '  eval_every: 50',
      '  save_every: 100',
      'dpo: {beta: 0.25}',
      'engine: builtin',
      'output_dir: runs',
    ]);
    assert.deepEqual(r.problems, []);
    assert.equal(r.config?.training.lr, 5e-5);
    assert.equal(r.config?.training.max_steps, 200);
    assert.equal(r.config?.training.epochs, undefined);
    assert.equal(r.config?.dpo?.beta, 0.25);
    assert.equal(r.config?.training.truncation, 'drop');
    assert.deepEqual(r.config?.adapter.target_modules, ['q_proj', 'v_proj', 'gate_proj', 'up_proj', 'down_proj']);
  });

  it('gives method dpo its default beta, and no dpo section to sft', () => {
    assert.deepEqual(parse([...minimal, 'method: dpo']).config?.dpo, { beta: 0.1 });
    assert.equal(parse(minimal).config?.dpo, undefined);
  });

  it('reports unknown keys at the key, wrong types and values at the value', () => {
    const r = parse([
      'base_model: ./m', // 0
      'datasets:', // 1
      '  train: d.jsonl', // 2
      '  validation: v.jsonl', // 3
      'training:', // 4
      '  epochs: 2', // 5
      '  batch_size: "4"', // 6
      '  lr: 0', // 7
      '  scheduler: step', // 8
      'adapter:', // 9
      '  r: 2.5', // 10
      '  target_modules: [q_proj, qkv]', // 11
      'learning_rate: 1', // 12
    ]);
    assert.equal(r.config, undefined);
    assert.deepEqual(
      found(r.problems).sort((a, b) => (a[0] as number) - (b[0] as number)),
      [
        [3, 2, 3, 12, 'Unknown key "validation"'],
        [6, 14, 6, 17, 'batch_size must be a number'],
        [7, 6, 7, 7, 'lr must be greater than 0'],
        [8, 13, 8, 17, 'Invalid option: expected one of "cosine"|"linear"|"constant"'],
        [10, 5, 10, 8, 'r must be a whole number'],
        [11, 27, 11, 30, 'Unknown module "qkv": expected one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj'],
        [12, 0, 12, 13, 'Unknown key "learning_rate"'],
      ],
    );
    assert.deepEqual(r.problems.find((p) => p.line === 6)?.path, ['training', 'batch_size']);
  });

  it('reports a missing required key at its parent', () => {
    const r = parse(['base_model: ./m', 'datasets:', '  eval: e.jsonl', 'training: {epochs: 1}']);
    assert.deepEqual(found(r.problems), [[1, 0, 1, 8, 'Missing required key "train"']]);
    const top = parse(['datasets: {train: t.jsonl}', 'training: {epochs: 1}']);
    assert.deepEqual(found(top.problems), [[0, 0, 0, 8, 'Missing required key "base_model"']]);
  });

  it('needs exactly one of epochs and max_steps', () => {
    const both = parse(['base_model: ./m', 'datasets: {train: t.jsonl}', 'training:', '  epochs: 1', '  max_steps: 10']);
    assert.deepEqual(found(both.problems), [[4, 13, 4, 15, 'Give epochs or max_steps, not both']]);
    const neither = parse(['base_model: ./m', 'datasets: {train: t.jsonl}', 'training:', '  lr: 1e-4']);
    assert.deepEqual(found(neither.problems), [[2, 0, 2, 8, 'Give the length of training: epochs (passes over the data) or max_steps']]);
  });

  it('allows dpo options only with method dpo', () => {
    const r = parse([...minimal, 'dpo:', '  beta: 0.1']);
    assert.deepEqual(found(r.problems), [[5, 0, 5, 3, 'dpo options are only used with method: dpo']]);
  });

  it('explains the reserved python engine and full fine-tuning', () => {
    const r = parse([...minimal, 'engine: python', 'adapter: {type: full}']);
    assert.deepEqual(found(r.problems), [
      [6, 16, 6, 20, 'Full fine-tuning is not supported by the built-in engine yet: use type: lora'],
      [5, 8, 5, 14, 'The python engine (torch + transformers + peft) is not available yet: use engine: builtin'],
    ]);
  });

  it('warns that eval_every needs an eval set, and reports YAML syntax errors and empty files', () => {
    const w = parse([...minimal, '  eval_every: 10']);
    assert.ok(w.config);
    assert.deepEqual(found(w.problems), [[5, 2, 5, 12, 'eval_every has no effect without datasets.eval']]);
    assert.equal(w.problems[0].severity, 'warning');
    const bad = parseTrainConfig('base_model: [\n', 'x.train.yaml');
    assert.equal(bad.config, undefined);
    assert.equal(bad.problems[0].severity, 'error');
    assert.match(bad.problems[0].message, /flow sequence/i);
    const empty = parseTrainConfig('# nothing\n', 'x.train.yaml');
    assert.match(empty.problems[0].message, /^x\.train\.yaml is empty/);
  });

  it('steps and learning-rate schedules match transformers (warmup, cosine, linear, constant)', () => {
    const t = parse([...minimal]).config!.training;
    assert.equal(totalSteps(t, 100), 2 * 25);
    assert.equal(totalSteps({ ...t, max_steps: 7 }, 100), 7);
    const w = { ...t, lr: 1, warmup_ratio: 0.1 };
    assert.equal(learningRate(w, 0, 100), 0);
    assert.equal(learningRate(w, 5, 100), 0.5);
    assert.equal(learningRate(w, 10, 100), 1);
    assert.ok(Math.abs(learningRate(w, 55, 100) - 0.5) < 1e-12);
    assert.equal(learningRate({ ...w, scheduler: 'linear' }, 55, 100), 0.5);
    assert.equal(learningRate({ ...w, scheduler: 'constant' }, 99, 100), 1);
  });

  it('schemas/train.schema.json is generated from the zod schema and describes every field', () => {
    const file = join(__dirname, '..', '..', 'schemas', 'train.schema.json');
    assert.ok(existsSync(file), 'run: npx tsx scripts/schemas.ts');
    const schema = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.properties.engine.const, 'builtin');
    const generated = z.toJSONSchema(trainConfigSchema, { target: 'draft-7', io: 'input', reused: 'inline', unrepresentable: 'any' });
    assert.deepEqual(schema.properties, generated.properties);
    const undescribed: string[] = [];
    const walk = (s: { properties?: Record<string, { description?: string }> }, at: string): void => {
      for (const [k, v] of Object.entries(s.properties ?? {})) {
        if (!v.description) undescribed.push(at + k);
        walk(v as typeof s, `${at}${k}.`);
      }
    };
    walk(schema, '');
    assert.deepEqual(undescribed, []);
  });

  it('the language server publishes the problems of an open *.train.yaml as you type, and clears them on close', async () => {
    // startServer installs process-wide error loggers: take them off again afterwards.
    const before = { e: process.listeners('uncaughtException'), r: process.listeners('unhandledRejection') };
    const up = new PassThrough();
    const down = new PassThrough();
    const server = startServer(createConnection(new StreamMessageReader(up), new StreamMessageWriter(down)));
    const client = createProtocolConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
    const published: PublishDiagnosticsParams[] = [];
    let wake = (): void => undefined;
    client.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      published.push(p);
      wake();
    });
    client.onRequest('client/registerCapability', () => null);
    client.onRequest('workspace/configuration', () => [null]);
    client.listen();
    const next = async (): Promise<PublishDiagnosticsParams> => {
      for (let i = 0; i < 200 && !published.length; i++) await new Promise<void>((r) => ((wake = r), setTimeout(r, 25)));
      const p = published.shift();
      assert.ok(p, 'no diagnostics published');
      return p;
    };
    try {
      await client.sendRequest('initialize', { processId: null, rootUri: null, workspaceFolders: null, capabilities: {} });
      await client.sendNotification('initialized', {});
      const uri = 'file:///nowhere/sft.train.yaml';
      await client.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: [...minimal, '  learning_rate: 1'].join('\n') } });
      const first = await next();
      assert.equal(first.version, 1);
      assert.deepEqual(first.diagnostics.map((d) => [d.range.start.line, d.range.start.character, d.range.end.character, d.severity, d.source, d.code, d.message]), [[5, 2, 15, 1, 'llmops', 'train-config', 'Unknown key "learning_rate"']]);
      await client.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ range: { start: { line: 5, character: 2 }, end: { line: 5, character: 15 } }, text: 'lr' }] });
      const fixed = await next();
      assert.deepEqual([fixed.version, fixed.diagnostics], [2, []]);
      await client.sendNotification('textDocument/didClose', { textDocument: { uri } });
      assert.deepEqual((await next()).diagnostics, []);
    } finally {
      client.dispose();
      server.dispose();
      for (const l of process.listeners('uncaughtException')) if (!before.e.includes(l)) process.off('uncaughtException', l);
      for (const l of process.listeners('unhandledRejection')) if (!before.r.includes(l)) process.off('unhandledRejection', l);
    }
  });
});
