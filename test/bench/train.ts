// Built-in trainer on a SmolLM2-135M-shaped random model (hidden 576, 30 layers, 9/3 heads, FFN 1536,
// vocab 49152, tied), seq 256, LoRA r=8 on q,k,v,o: tokens/s of full training steps (forward,
// LoRA-only backward, AdamW), MFU against ORT's bare MatMul rate measured in the same process and
// thread count, peak RSS against 2 × fp32 weights + 1 GB.
// Usage: node scripts/bench.mjs train [--threads=N] [--steps=N] [--batch=N]
// The model is written once under os.tmpdir()/llmops-bench-smollm2-135m (random weights, no tokenizer
// needed: batches are random token ids, loss on every position). Prints figures; asserts nothing.
import { existsSync, promises as fs } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AdamW } from '../../src/runtime/engine/optimizer';
import { Graph } from '../../src/runtime/engine/graph';
import { compile } from '../../src/runtime/engine/program';
import { expectedTensors, parseHfConfig, readHfConfig } from '../../src/runtime/models/hfConfig';
import { fillNormal, subSeed, uniform } from '../../src/runtime/models/random';
import { SafetensorsModel, writeSafetensors } from '../../src/runtime/models/safetensors';
import { makeBatch, type Example } from '../../src/runtime/train/data';
import { buildLlama, loraDropoutFeeds, loraScale, ropeCosSin } from '../../src/runtime/train/llamaModel';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const THREADS = Number(args.threads ?? cpus().length);
const STEPS = Number(args.steps ?? 4);
const BATCH = Number(args.batch ?? 1);
const SEQ = 256;
/** LoRA dropout of the default training config (adapter.dropout 0.05); --dropout=0 to leave it out. */
const DROPOUT = Number(args.dropout ?? 0.05);

const config = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 576,
  intermediate_size: 1536,
  num_hidden_layers: 30,
  num_attention_heads: 9,
  num_key_value_heads: 3,
  vocab_size: 49152,
  rms_norm_eps: 1e-5,
  rope_theta: 100000,
  max_position_embeddings: 8192,
  tie_word_embeddings: true,
  hidden_act: 'silu',
  initializer_range: 0.041666666666666664,
  bos_token_id: 0,
  eos_token_id: 0,
  torch_dtype: 'float32',
};

async function model(): Promise<string> {
  const dir = join(tmpdir(), 'llmops-bench-smollm2-135m');
  if (existsSync(join(dir, 'config.json'))) return dir;
  const t0 = performance.now();
  await fs.mkdir(dir, { recursive: true });
  const cfg = parseHfConfig(config);
  await writeSafetensors(
    join(dir, 'model.safetensors'),
    expectedTensors(cfg).map((t, i) => ({
      name: t.name,
      shape: t.shape,
      data: () => {
        const a = new Float32Array(t.shape.reduce((x, y) => x * y, 1));
        if (t.name.endsWith('norm.weight')) a.fill(1);
        else fillNormal(a, cfg.initializerRange, uniform(subSeed(0, i)));
        return a;
      },
    })),
  );
  await fs.writeFile(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  console.log(`model written to ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return dir;
}

/** ORT's bare MatMul rate (GFLOP/s) on a projection-shaped product, same thread count. */
async function matmulRate(): Promise<number> {
  const [M, K, N] = [256 * BATCH, 576, 1536];
  // A tiny ONNX model: Y = A · B, B an input.
  const g = new Graph();
  const a = g.input('a', [M, K]);
  const b = g.input('b', [K, N]);
  const p = compile(g, { outputs: { y: a.matmul(b) }, threads: THREADS });
  const feeds = { a: { data: new Float32Array(M * K).fill(0.01), shape: [M, K] }, b: { data: new Float32Array(K * N).fill(0.01), shape: [K, N] } };
  await p.run(feeds);
  let best = Infinity;
  for (let i = 0; i < 20; i++) {
    const r = await p.run(feeds);
    best = Math.min(best, r.ortMs);
  }
  await p.dispose();
  return (2 * M * K * N) / (best / 1000) / 1e9;
}

async function main(): Promise<void> {
  ort.env.logLevel = 'error';
  const dir = await model();
  const cfg = await readHfConfig(dir);
  const t0 = performance.now();
  const st = await SafetensorsModel.open(dir);
  const lora = { r: 8, alpha: 16, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] };
  const m = await buildLlama(cfg, st, { lora, seed: 0, dropout: DROPOUT > 0 });
  await st.close();
  const tBuild = performance.now() - t0;
  const params = m.adapters.flatMap((a) => [a.a, a.b]);
  const program = compile(m.graph, { loss: m.loss, wrt: params, threads: THREADS });
  const opt = new AdamW({ lr: 1e-4 });
  const rand = uniform(3);
  const examples: Example[] = Array.from({ length: BATCH }, () => ({ ids: Int32Array.from({ length: SEQ }, () => Math.floor(rand() * cfg.vocabSize)), weights: new Float32Array(SEQ).fill(1), line: 0 }));
  const batch = makeBatch(examples, SEQ);
  const { cos, sin } = ropeCosSin(cfg, SEQ);
  const feeds = {
    input_ids: { data: batch.inputIds, shape: [BATCH, SEQ] },
    cos: { data: cos, shape: [SEQ, cfg.headDim] },
    sin: { data: sin, shape: [SEQ, cfg.headDim] },
    pick: { data: batch.pick, shape: [batch.pick.length] },
    labels: { data: batch.labels, shape: [batch.labels.length] },
    weights: { data: batch.weights, shape: [batch.weights.length] },
    loss_scale: { data: Float32Array.of(1 / batch.weightSum), shape: [] },
    lora_scale: { data: Float32Array.of(loraScale(lora)), shape: [] },
  };
  const t1 = performance.now();
  await program.session(program.bind(DROPOUT > 0 ? { ...feeds, ...loraDropoutFeeds(m.adapters, BATCH, SEQ, DROPOUT) } : feeds));
  const tSession = performance.now() - t1;
  const times: number[] = [];
  const ortTimes: number[] = [];
  let loss = 0;
  for (let s = 0; s <= STEPS; s++) {
    const ts = performance.now();
    // LoRA dropout as the trainer feeds it: fresh masks every step, drawn inside the timed step.
    const r = await program.run(DROPOUT > 0 ? { ...feeds, ...loraDropoutFeeds(m.adapters, BATCH, SEQ, DROPOUT, s) } : feeds);
    opt.step(
      params.map((p) => [p.name, p.data as Float32Array] as const),
      r.grads,
    );
    loss = r.loss!;
    if (s > 0) {
      times.push(performance.now() - ts);
      ortTimes.push(r.ortMs);
    }
  }
  await program.dispose();
  const rate = await matmulRate();

  // Model FLOPs per step (as MFU counts them): forward 2·N·T over the non-embedding matrices plus
  // attention (QKᵀ and PV: 4·S·d per token per layer, causal half counted in full as ORT computes it)
  // plus the LM head at the picked positions; the LoRA-only backward needs input gradients of every
  // frozen MatMul (≈ the forward again) but no weight gradients; the adapters' own work is small.
  const T = BATCH * SEQ;
  const P = batch.pick.length;
  const H = cfg.hiddenSize;
  const perLayer = 2 * H * (cfg.numHeads * cfg.headDim) + 2 * H * (cfg.numKvHeads * cfg.headDim) + 3 * H * cfg.intermediateSize;
  const fwd = 2 * perLayer * cfg.numLayers * T + 4 * SEQ * cfg.numHeads * cfg.headDim * cfg.numLayers * T + 2 * P * H * cfg.vocabSize;
  const stepFlops = 2 * fwd;
  const median = times.sort((a, b) => a - b)[times.length >> 1];
  const ortMedian = ortTimes.sort((a, b) => a - b)[ortTimes.length >> 1];
  const achieved = stepFlops / (median / 1000) / 1e9;
  const weightsBytes = m.graph.params.filter((p) => !p.trainable).reduce((n, p) => n + (p.data as Float32Array).byteLength, 0);
  const peak = process.resourceUsage().maxRSS * 1024;
  const target = 2 * weightsBytes + 2 ** 30;
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
  console.log(
    JSON.stringify(
      {
        threads: THREADS,
        lora_dropout: DROPOUT,
        batch: BATCH,
        seq: SEQ,
        steps: STEPS,
        loss,
        build_ms: Math.round(tBuild),
        session_ms: Math.round(tSession),
        step_ms_median: Math.round(median),
        ort_ms_median: Math.round(ortMedian),
        tokens_per_s: Math.round(T / (median / 1000)),
        step_gflop: +(stepFlops / 1e9).toFixed(1),
        achieved_gflops: +achieved.toFixed(1),
        ort_matmul_gflops: +rate.toFixed(1),
        mfu: +(achieved / rate).toFixed(3),
        mfu_target: 0.3,
        weights_fp32: mb(weightsBytes),
        peak_rss: mb(peak),
        rss_target: mb(target),
        rss_ok: peak <= target,
      },
      null,
      2,
    ),
  );
}

void main();
