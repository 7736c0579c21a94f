/**
 * A full Llama-family decoder (Llama, Mistral, Qwen2, Qwen3) on the engine's graph builder, for
 * LoRA training: frozen base weights fed from the safetensors arrays, trainable LoRA A/B in PEFT
 * layout on the configured modules, loss = weighted cross-entropy over the (already shifted)
 * labels of the positions that carry loss.
 *
 * Logits are computed only at the positions that carry loss (`pick`): the LM head over a 128k–150k
 * vocabulary is the largest MatMul of a small model, and prompt tokens need no logits.
 */
import type { Graph, Tensor } from '../engine/graph';
import { Graph as GraphClass } from '../engine/graph';
import { linear, rmsNorm, rope, causalMask, type Lora } from '../engine/layers';
import { blockLinears, ropeInvFreq, type DecoderConfig } from '../models/hfConfig';
import { loraModules, loraScaling, type LoraWeights } from '../models/peft';
import { uniform, subSeed } from '../models/random';
import type { SafetensorsModel } from '../models/safetensors';

export interface LoraSettings {
  r: number;
  alpha: number;
  /** PEFT module names: q_proj, v_proj, … */
  targetModules: readonly string[];
}

/** One LoRA-adapted linear layer: its module path (model.layers.3.self_attn.q_proj) and its two trainable tensors. */
export interface AdapterParam {
  module: string;
  in: number;
  out: number;
  a: Tensor;
  b: Tensor;
}

export interface LlamaGraph {
  graph: Graph;
  cfg: DecoderConfig;
  lora: LoraSettings;
  adapters: AdapterParam[];
  /** Final hidden states [batch, seq, hidden] (after the last norm). */
  hidden: Tensor;
  /** Logits at every position [batch, seq, vocab] (for tests and generation; not part of the loss). */
  logits: Tensor;
  /** Σ weight · nll over the picked positions, times `loss_scale`. */
  loss: Tensor;
  /** Per picked position weight · nll [tokens] (0 where ignored). */
  tokenLoss: Tensor;
}

export interface BuildOptions {
  lora: LoraSettings;
  /**
   * With LoRA dropout: one bool input `lora_dropout.<module>` [batch, seq, in] per adapted module
   * (true = keep) and a scalar `lora_dropout_scale` (1 / (1 − p) while training, 1 with all-true
   * masks to evaluate), as PEFT's per-module `lora_dropout(x)` before A.
   */
  dropout?: boolean;
  /** Seed of the LoRA A initialisation. */
  seed: number;
}

export class TrainModelError extends Error {
  override name = 'TrainModelError';
}

/**
 * Graph inputs (fed per step):
 *   input_ids int64 [batch, seq]; cos, sin float [seq, head_dim];
 *   pick int64 [tokens] (indices into batch·seq of the positions that carry loss);
 *   labels int64 [tokens] (next-token targets, -100 ignored); weights float [tokens];
 *   loss_scale float [] (1 / Σ weights of the whole optimizer step); lora_scale float [] (alpha / r, or 0 to disable);
 *   with `dropout`: lora_dropout.<module> bool [batch, seq, in] and lora_dropout_scale float [].
 * Right padding needs no padding mask: with a causal mask real tokens never attend to later pads,
 * and pads carry no loss.
 */
export async function buildLlama(cfg: DecoderConfig, weights: SafetensorsModel, opts: BuildOptions): Promise<LlamaGraph> {
  const g = new GraphClass({ dtype: 'float32' });
  const H = cfg.hiddenSize;
  const D = cfg.headDim;
  const frozen = async (name: string, shape: number[]): Promise<Tensor> => {
    if (!weights.has(name)) throw new TrainModelError(`${weights.folder}: the weights have no tensor ${name} (config.json implies it)`);
    const info = weights.info(name);
    if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i]))
      throw new TrainModelError(`${weights.folder}: ${name} has shape [${info.shape.join(', ')}], config.json implies [${shape.join(', ')}]`);
    return g.param(name, shape, { trainable: false, data: await weights.read(name) });
  };
  const inputIds = g.input('input_ids', ['batch', 'seq'], 'int64');
  const cos = g.input('cos', ['seq', D]);
  const sin = g.input('sin', ['seq', D]);
  const pick = g.input('pick', ['tokens'], 'int64');
  const labels = g.input('labels', ['tokens'], 'int64');
  const tokenWeights = g.input('weights', ['tokens']);
  const lossScale = g.input('loss_scale', []);
  const loraScale = g.input('lora_scale', []);
  const dropoutScale = opts.dropout ? g.input('lora_dropout_scale', []) : undefined;

  const targets = new Set(opts.lora.targetModules);
  const adapters: AdapterParam[] = [];
  const shapes = new Map(loraModules(cfg, [...targets]).map((m) => [m.module, m]));
  let n = 0;
  const loraFor = (module: string): Lora | undefined => {
    const m = shapes.get(module);
    if (!m) return undefined;
    const r = opts.lora.r;
    // PEFT's init: A kaiming_uniform_(a=√5) → U(−1/√in, 1/√in); B zeros (the adapter starts as a no-op).
    const a = new Float32Array(r * m.in);
    const rand = uniform(subSeed(opts.seed, n++));
    const bound = 1 / Math.sqrt(m.in);
    for (let i = 0; i < a.length; i++) a[i] = (2 * rand() - 1) * bound;
    const at = g.param(`${module}.lora_A`, [r, m.in], { trainable: true, data: a });
    const bt = g.param(`${module}.lora_B`, [m.out, r], { trainable: true, data: new Float32Array(m.out * r) });
    adapters.push({ module, in: m.in, out: m.out, a: at, b: bt });
    const dropout = dropoutScale ? { keep: g.input(`lora_dropout.${module}`, ['batch', 'seq', m.in], 'bool'), scale: dropoutScale } : undefined;
    return { a: at, b: bt, scale: loraScale, dropout };
  };

  const embed = await frozen('model.embed_tokens.weight', [cfg.vocabSize, H]);
  let x = embed.gather(inputIds); // [batch, seq, hidden]
  const mask = causalMask(g, 'seq');
  const [B, S] = x.shape;
  const lin = Object.fromEntries(blockLinears(cfg).map((l) => [l.module, l]));
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `model.layers.${i}`;
    const proj = async (module: string, bias: boolean) => {
      const l = lin[module];
      return {
        w: await frozen(`${p}.${module}.weight`, [l.out, l.in]),
        bias: bias ? await frozen(`${p}.${module}.bias`, [l.out]) : undefined,
        lora: loraFor(`${p}.${module}`),
      };
    };
    const q = await proj('self_attn.q_proj', cfg.qkvBias);
    const k = await proj('self_attn.k_proj', cfg.qkvBias);
    const v = await proj('self_attn.v_proj', cfg.qkvBias);
    const o = await proj('self_attn.o_proj', cfg.oBias);
    const qNorm = cfg.qkNorm ? await frozen(`${p}.self_attn.q_norm.weight`, [D]) : undefined;
    const kNorm = cfg.qkNorm ? await frozen(`${p}.self_attn.k_norm.weight`, [D]) : undefined;
    const gate = await proj('mlp.gate_proj', cfg.mlpBias);
    const up = await proj('mlp.up_proj', cfg.mlpBias);
    const down = await proj('mlp.down_proj', cfg.mlpBias);
    const inNorm = await frozen(`${p}.input_layernorm.weight`, [H]);
    const postNorm = await frozen(`${p}.post_attention_layernorm.weight`, [H]);

    x = g.scope(`layers.${i}`, () => {
      const apply = (t: Tensor, w: { w: Tensor; bias?: Tensor; lora?: Lora }) => linear(t, w.w, { bias: w.bias, lora: w.lora });
      // Attention: RoPE, GQA by folding the query heads of a KV head into the row axis (as layers.attention).
      const hn = rmsNorm(x, inNorm, cfg.rmsNormEps);
      const Hh = cfg.numHeads;
      const KV = cfg.numKvHeads;
      const rep = Hh / KV;
      const heads = (t: Tensor, nh: number) => t.reshape([B, S, nh, D]).transpose([0, 2, 1, 3]);
      let qh = heads(apply(hn, q), Hh);
      let kh = heads(apply(hn, k), KV);
      if (qNorm && kNorm) {
        qh = rmsNorm(qh, qNorm, cfg.rmsNormEps);
        kh = rmsNorm(kh, kNorm, cfg.rmsNormEps);
      }
      qh = rope(qh, cos, sin).mul(1 / Math.sqrt(D));
      kh = rope(kh, cos, sin);
      const vh = heads(apply(hn, v), KV);
      const grouped = (t: Tensor) => (rep === 1 ? t : t.reshape([B, KV, -1, D]));
      let scores = grouped(qh).matmul(kh.t());
      scores = rep === 1 ? scores.add(mask) : scores.reshape([B, KV, rep, S, S]).add(mask).reshape([B, KV, -1, S]);
      let att = scores.softmax(-1).matmul(vh);
      if (rep > 1) att = att.reshape([B, Hh, S, D]);
      att = att.transpose([0, 2, 1, 3]).reshape([B, S, Hh * D]);
      const h = x.add(apply(att, o));
      const hn2 = rmsNorm(h, postNorm, cfg.rmsNormEps);
      return h.add(apply(apply(hn2, gate).silu().mul(apply(hn2, up)), down));
    });
  }
  const finalNorm = await frozen('model.norm.weight', [H]);
  const head = cfg.tieWordEmbeddings ? embed : await frozen('lm_head.weight', [cfg.vocabSize, H]);
  const hidden = rmsNorm(x, finalNorm, cfg.rmsNormEps);
  const logits = hidden.matmul(head.t());
  const picked = hidden.reshape([-1, H]).gather(pick); // [tokens, hidden]
  const pickedLogits = picked.matmul(head.t());
  const tokenLoss = g.crossEntropy(pickedLogits, labels, { weights: tokenWeights, reduction: 'none' });
  const loss = tokenLoss.sum().mul(lossScale);
  return { graph: g, cfg, lora: opts.lora, adapters, hidden, logits, loss, tokenLoss };
}

/** cos / sin tables [seq, head_dim] with the configured RoPE scaling, rounded as transformers computes them in float32. */
export function ropeCosSin(cfg: Pick<DecoderConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>, seq: number): { cos: Float32Array; sin: Float32Array } {
  const inv = ropeInvFreq(cfg);
  const D = cfg.headDim;
  const half = D / 2;
  const cos = new Float32Array(seq * D);
  const sin = new Float32Array(seq * D);
  for (let p = 0; p < seq; p++)
    for (let i = 0; i < half; i++) {
      const a = Math.fround(p * Math.fround(inv[i]));
      cos[p * D + i] = cos[p * D + i + half] = Math.cos(a);
      sin[p * D + i] = sin[p * D + i + half] = Math.sin(a);
    }
  return { cos, sin };
}

export function loraScale(l: LoraSettings): number {
  return loraScaling({ r: l.r, alpha: l.alpha });
}

/** The adapters' current values in writePeftAdapter's shape (copies). */
export function adapterWeights(adapters: readonly AdapterParam[]): LoraWeights[] {
  return adapters.map((p) => ({ module: p.module, in: p.in, out: p.out, a: (p.a.data as Float32Array).slice(), b: (p.b.data as Float32Array).slice() }));
}

/** A fed tensor (as the trainer hands them to the program). */
export interface MaskFeed {
  data: Uint8Array | Float32Array;
  shape: number[];
}

const keepAll = new Map<number, Uint8Array>();

/**
 * Feeds of the LoRA dropout inputs for one forward pass of `batch` × `seq` tokens. Training
 * (`seed` given): each adapted module's input element is kept with probability 1 − p, drawn from
 * a stream of its own (`subSeed(seed, module index)`), so a step's masks depend only on the seed
 * the caller derives for that step and resumed runs repeat them; kept values are scaled by
 * 1 / (1 − p). Evaluation and reference passes (`seed` undefined): every value kept, scale 1.
 */
export function loraDropoutFeeds(adapters: readonly AdapterParam[], batch: number, seq: number, p: number, seed?: number): Record<string, MaskFeed> {
  const feeds: Record<string, MaskFeed> = {};
  const train = seed !== undefined && p > 0;
  feeds.lora_dropout_scale = { data: Float32Array.of(train ? 1 / (1 - p) : 1), shape: [] };
  // Keep when a 16-bit draw is at or above p · 65536 (two draws per 32-bit number).
  const cut = Math.round(p * 65536);
  adapters.forEach((a, n) => {
    const size = batch * seq * a.in;
    let mask: Uint8Array;
    if (!train) {
      mask = keepAll.get(size) ?? new Uint8Array(size).fill(1);
      if (keepAll.size < 64) keepAll.set(size, mask);
    } else {
      mask = new Uint8Array(size);
      let s = subSeed(seed, n) >>> 0;
      for (let i = 0; i < size; i += 2) {
        // mulberry32, inlined: two 16-bit draws per step.
        s = (s + 0x6d2b79f5) >>> 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        t = (t ^ (t >>> 14)) >>> 0;
        mask[i] = (t & 0xffff) >= cut ? 1 : 0;
        if (i + 1 < size) mask[i + 1] = t >>> 16 >= cut ? 1 : 0;
      }
    }
    feeds[`lora_dropout.${a.module}`] = { data: mask, shape: [batch, seq, a.in] };
  });
  return feeds;
}
