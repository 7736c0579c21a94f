// DPO on the built-in engine (tiny random Llama, real Llama 3 tokenizer): preference data loading
// (completion-only loss positions, truncation counts), bit-identical resume, and a clear error for a
// non-preference dataset. Learning: test/integration/trainDpoLearning.integration.test.ts.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrainConfig, type TrainConfig } from '../../src/core/train/config';
import { Encoder, loadChatTokenizer } from '../../src/runtime/train/data';
import { loadPreferenceDataset, makePreferenceBatch } from '../../src/runtime/train/preferenceData';
import { train } from '../../src/runtime/train/trainer';
import { runTrain } from '../../src/runtime/trainCommand';
import { tinyModel } from '../reference/tinyModel';

const ROOT = join(__dirname, '..', '..');
const PREFS = join(ROOT, 'examples/task-assistant/data/preferences.jsonl');

function config(dir: string, model: string, data: string, training: string, extra = ''): { path: string; config: TrainConfig } {
  const text = `base_model: ${model}\ndatasets:\n  train: ${data}\nmethod: dpo\ndpo:\n  beta: 0.1\nadapter:\n  r: 8\n  alpha: 16\n  dropout: 0\n  target_modules: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]\ntraining:\n${training}${extra}output_dir: ${join(dir, 'runs')}\n`;
  const path = join(dir, `d${Math.random().toString(36).slice(2, 7)}.train.yaml`);
  writeFileSync(path, text);
  const p = parseTrainConfig(text, path);
  assert.ok(p.config, JSON.stringify(p.problems));
  return { path, config: p.config };
}

describe('train: DPO (tiny Llama)', function () {
  this.timeout(300000);
  let dir = '';
  let model = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llmops-train-dpo-'));
    model = await tinyModel(dir, 16);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads the three preference formats: loss on completion tokens only, shared prompt, truncation counted', async () => {
    const enc = new Encoder(await loadChatTokenizer(model));
    const text = (ids: ArrayLike<number>) => (enc.tok as unknown as { decode(ids: number[]): string }).decode(Array.from(ids));
    const data = join(dir, 'prefs.jsonl');
    const conv = (a: string) => [{ role: 'user', content: 'hello there' }, { role: 'assistant', content: a }];
    writeFileSync(
      data,
      [
        { input: { messages: [{ role: 'user', content: 'hello there' }] }, preferred_output: [{ role: 'assistant', content: 'hi!' }], non_preferred_output: [{ role: 'assistant', content: 'go away' }] },
        { prompt: [{ role: 'user', content: 'hello there' }], chosen: [{ role: 'assistant', content: 'hi!' }], rejected: [{ role: 'assistant', content: 'go away' }] },
        { chosen: conv('hi!'), rejected: conv('go away') },
        { prompt: 'Q: 2+2?', chosen: ' 4', rejected: ' 5' },
        { prompt: 'x', chosen: '', rejected: ' y' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const { pairs, report } = await loadPreferenceDataset(data, enc, { maxSeqLen: 4096, truncation: 'truncate' });
    assert.equal(report.records, 5);
    assert.equal(pairs.length, 5 - report.noTrainable.length);
    const trained = (e: { ids: Int32Array; weights: Float32Array }) => text(e.ids.filter((_, k) => e.weights[k] !== 0));
    for (const p of pairs.slice(0, 3)) {
      assert.equal(trained(p.chosen), 'hi!<|eot_id|>');
      assert.equal(trained(p.rejected), 'go away<|eot_id|>');
      // The same prompt tokens on both sides.
      const prompt = (e: { ids: Int32Array; weights: Float32Array }) => Array.from(e.ids.slice(0, e.weights.indexOf(1)));
      assert.deepEqual(prompt(p.chosen), prompt(p.rejected));
    }
    // The three conversational formats give the same tokens.
    assert.deepEqual(Array.from(pairs[0].chosen.ids), Array.from(pairs[1].chosen.ids));
    assert.deepEqual(Array.from(pairs[0].rejected.ids), Array.from(pairs[2].rejected.ids));
    assert.equal(trained(pairs[3].chosen), ' 4<|end_of_text|>');
    // '' as the chosen completion still has the eos: trainable. Nothing else is left out here.
    assert.deepEqual(report.noTrainable, []);
    // Batch: chosen rows first, every loss position mapped to exactly one pair side.
    const b = makePreferenceBatch(pairs.slice(0, 2), 4096);
    const T = b.pick.length;
    let mapped = 0;
    for (let i = 0; i < T; i++) {
      const n = [0, 1].reduce((s, p) => s + b.segChosen[p * T + i] + b.segRejected[p * T + i], 0);
      assert.equal(n, b.weights[i] !== 0 ? 1 : 0);
      mapped += n;
    }
    assert.equal(mapped, [pairs[0], pairs[1]].reduce((s, p) => s + p.chosen.weights.filter((w, k) => k > 0 && w).length + p.rejected.weights.filter((w, k) => k > 0 && w).length, 0));
    const cut = await loadPreferenceDataset(data, enc, { maxSeqLen: 10, truncation: 'truncate' });
    assert.ok(cut.report.truncated >= 3 && cut.report.noTrainable.length >= 3, JSON.stringify(cut.report));
    const drop = await loadPreferenceDataset(data, enc, { maxSeqLen: 10, truncation: 'drop' });
    assert.ok(drop.report.dropped >= 3 && drop.report.dropped + drop.report.examples === 5, JSON.stringify(drop.report));
  });

  it('resume is bit-identical for DPO (straight = stop at 2 + resume)', async () => {
    const training = '  max_steps: 4\n  batch_size: 2\n  grad_accum: 1\n  lr: 0.01\n  max_seq_len: 512\n  save_every: 2\n';
    const { path, config: c } = config(dir, model, PREFS, training);
    const a = await train({ config: c, configPath: path, runId: 'straight', threads: 1 });
    assert.equal(a.status, 'completed', a.error);
    const half = await train({ config: c, configPath: path, runId: 'split', threads: 1, stopAfter: 2 });
    assert.equal(half.status, 'cancelled');
    const b = await train({ config: c, configPath: path, resume: half.runDir, threads: 1 });
    assert.equal(b.status, 'completed', b.error);
    assert.deepEqual(b.losses, a.losses);
    const metric = (d: string) => readFileSync(join(d, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => { const x = JSON.parse(l) as Record<string, number>; return [x.loss, x['rewards/margins'], x['rewards/accuracies']]; });
    assert.deepEqual(metric(b.runDir), metric(a.runDir));
    assert.deepEqual(readFileSync(join(b.runDir, 'adapter/adapter_model.safetensors')), readFileSync(join(a.runDir, 'adapter/adapter_model.safetensors')));
  });

  it('method dpo on a non-preference dataset: exit 2 naming the file and the expected formats', async () => {
    const sft = join(ROOT, 'examples/task-assistant/data/train.jsonl');
    const { path } = config(dir, model, sft, '  max_steps: 1\n');
    let err = '';
    const code = await runTrain([path], { out: () => undefined, err: (s) => (err += s), cwd: dir });
    assert.equal(code, 2);
    assert.match(err, /train\.jsonl:1: method dpo needs preference pairs/);
    assert.match(err, /OpenAI chat/);
    assert.match(err, /OpenAI preference .*TRL preference .*implicit-prompt/);
  });
});
