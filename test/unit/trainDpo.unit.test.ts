// DPO on the built-in engine (tiny random Llama, real Llama 3 tokenizer): preference data loading
// (completion-only loss positions, TRL's keep-end truncation of the prompt, truncation counts), bit-identical resume, and a clear error for a
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
    // The three conversations are longer than 10 tokens: their prompts are cut from the left, the completions stay whole.
    assert.deepEqual([cut.report.truncated, cut.report.examples, cut.report.noTrainable.length], [3, 5, 0], JSON.stringify(cut.report));
    for (const p of cut.pairs.slice(0, 3)) {
      assert.equal(trained(p.chosen), 'hi!<|eot_id|>');
      assert.equal(trained(p.rejected), 'go away<|eot_id|>');
      assert.equal(p.chosen.ids[0], 128000);
      assert.equal(Math.max(p.chosen.ids.length, p.rejected.ids.length), 10);
    }
    const drop = await loadPreferenceDataset(data, enc, { maxSeqLen: 10, truncation: 'drop' });
    assert.ok(drop.report.dropped >= 3 && drop.report.dropped + drop.report.examples === 5, JSON.stringify(drop.report));
  });

  it('truncation keeps the completion: the prompt is cut from the left (BOS kept), by the same amount on both sides', async () => {
    const enc = new Encoder(await loadChatTokenizer(model));
    const text = (ids: ArrayLike<number>) => (enc.tok as unknown as { decode(ids: number[]): string }).decode(Array.from(ids));
    const BOS = 128000; // <|begin_of_text|>, rendered first by the Llama 3 template
    const data = join(dir, 'long.jsonl');
    const system = Array.from({ length: 60 }, (_, k) => `rule ${k}: be precise.`).join(' ');
    const long = (a: string) => [{ role: 'system', content: system }, { role: 'user', content: 'hello there' }, { role: 'assistant', content: a }];
    const huge = Array.from({ length: 80 }, (_, k) => `word${k}`).join(' ');
    writeFileSync(
      data,
      [
        { chosen: long('hi!'), rejected: long('go away, I am busy right now') },
        { prompt: `${system} Q: 2+2?`, chosen: ' 4', rejected: ' five, I think' },
        { prompt: 'Q: 2+2?', chosen: ' 4', rejected: ' 5' },
        { prompt: [{ role: 'user', content: 'hello there' }], chosen: [{ role: 'assistant', content: huge }], rejected: [{ role: 'assistant', content: 'no' }] },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const full = await loadPreferenceDataset(data, enc, { maxSeqLen: 4096, truncation: 'truncate' });
    assert.equal(full.pairs.length, 4);
    const L = 64;
    const { pairs, report } = await loadPreferenceDataset(data, enc, { maxSeqLen: L, truncation: 'truncate' });
    // Pairs 1, 2 and 4 are longer than 64 tokens; pair 3 is not touched. Every pair keeps completion tokens.
    assert.equal(full.pairs[2].chosen.ids.length < L && full.pairs[2].rejected.ids.length < L, true);
    assert.deepEqual([report.records, report.examples, report.truncated, report.dropped, report.noTrainable.length], [4, 4, 3, 0, 0]);
    const trained = (e: { ids: Int32Array; weights: Float32Array }) => text(e.ids.filter((_, k) => e.weights[k] !== 0));
    const start = (e: { weights: Float32Array }) => e.weights.indexOf(1);
    const prompt = (e: { ids: Int32Array; weights: Float32Array }) => Array.from(e.ids.slice(0, start(e)));
    for (const k of [0, 1]) {
      const [p, f] = [pairs[k], full.pairs[k]];
      // The completions are intact; the longer side fills max_seq_len exactly.
      assert.equal(trained(p.chosen), trained(f.chosen));
      assert.equal(trained(p.rejected), trained(f.rejected));
      assert.equal(Math.max(p.chosen.ids.length, p.rejected.ids.length), L);
      // Chosen and rejected share the prompt tokens: the BOS if the prompt starts with one, then the
      // last tokens of the full prompt (this tokenizer adds no BOS to plain text: pair 2 has none).
      assert.deepEqual(prompt(p.chosen), prompt(p.rejected));
      const kept = prompt(p.chosen);
      const whole = prompt(f.chosen);
      const bos = k === 0 ? 1 : 0;
      assert.equal(whole[0] === BOS, k === 0);
      assert.equal(kept[0] === BOS, k === 0);
      assert.ok(kept.length < whole.length);
      assert.deepEqual(kept.slice(bos), whole.slice(whole.length - kept.length + bos));
      // Both sides lost the same number of prompt tokens.
      assert.equal(f.chosen.ids.length - p.chosen.ids.length, f.rejected.ids.length - p.rejected.ids.length);
    }
    assert.match(text(prompt(pairs[0].chosen)), /^<\|begin_of_text\|>.*rule 5\d: be precise\..*hello there<\|eot_id\|><\|start_header_id\|>assistant<\|end_header_id\|>\n\n$/s);
    assert.equal(trained(pairs[0].chosen), 'hi!<|eot_id|>');
    assert.deepEqual(Array.from(pairs[2].chosen.ids), Array.from(full.pairs[2].chosen.ids));
    // A completion longer than max_seq_len on its own: the prompt shrinks to the BOS, the completion is cut from the right.
    const [p3, f3] = [pairs[3], full.pairs[3]];
    assert.deepEqual(prompt(p3.chosen), [BOS]);
    assert.deepEqual(prompt(p3.rejected), [BOS]);
    assert.equal(p3.chosen.ids.length, L);
    assert.deepEqual(Array.from(p3.chosen.ids.slice(1)), Array.from(f3.chosen.ids.slice(start(f3.chosen), start(f3.chosen) + L - 1)));
    assert.equal(trained(p3.rejected), 'no<|eot_id|>');
    // drop is unchanged: the three long pairs are left out.
    const drop = await loadPreferenceDataset(data, enc, { maxSeqLen: L, truncation: 'drop' });
    assert.deepEqual([drop.report.dropped, drop.report.examples, drop.report.truncated], [3, 1, 0]);
  });

  it('example preferences at max_seq_len 200: all 28 pairs keep their completions (15 did when the end was cut)', async () => {
    const enc = new Encoder(await loadChatTokenizer(model));
    const L = 200;
    const full = await loadPreferenceDataset(PREFS, enc, { maxSeqLen: 4096, truncation: 'truncate' });
    assert.equal(full.pairs.length, 28);
    // The former truncation, the first max_seq_len tokens of each side: the long system prompt leaves
    // 13 pairs without a completion token on one side at least.
    const head = (e: { weights: Float32Array }) => e.weights.slice(0, L).some((w, k) => k > 0 && w !== 0);
    assert.equal(full.pairs.filter((p) => head(p.chosen) && head(p.rejected)).length, 15);
    const { pairs, report } = await loadPreferenceDataset(PREFS, enc, { maxSeqLen: L, truncation: 'truncate' });
    const longer = full.pairs.filter((p) => Math.max(p.chosen.ids.length, p.rejected.ids.length) > L).length;
    assert.deepEqual([report.examples, report.noTrainable.length, report.truncated, longer], [28, 0, 26, 26]);
    // Every completion is shorter than 200 tokens: no completion token is lost, only prompt tokens.
    assert.equal(report.trainableTokens, full.report.trainableTokens);
    assert.equal(report.maxLength, L);
    for (const p of pairs) assert.equal(p.chosen.ids[0], 128000);
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
