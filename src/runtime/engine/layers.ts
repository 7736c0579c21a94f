// Building blocks of Llama-family decoders on the graph builder (weights in Hugging Face layout).
import type { Dim } from './dims';
import type { DType, Graph, Operand, Tensor } from './graph';

/**
 * LoRA adapter in PEFT layout: A [r, in], B [out, r]; y += scale · x Aᵀ Bᵀ (scale = alpha / r).
 * A 0-d tensor as the scale (fed 0) turns the adapters off without another graph (DPO reference pass).
 */
export interface Lora {
  a: Tensor;
  b: Tensor;
  scale: Operand;
  /**
   * Dropout of the adapter's input (PEFT's lora_dropout): x where `keep` (bool, x's shape) else 0,
   * kept values scaled by `scale` (1 / (1 − p)). The scale is applied to the rank-r activations
   * (equal, as A is linear), and the backward keeps only the bool mask, not a float copy.
   */
  dropout?: { keep: Tensor; scale: Operand };
}

/** x Wᵀ (+ bias) (+ LoRA), with W [out, in] as Hugging Face stores it. */
export function linear(x: Tensor, weight: Tensor, opts: { bias?: Tensor; lora?: Lora } = {}): Tensor {
  let y = x.matmul(weight.t());
  if (opts.bias) y = y.add(opts.bias);
  if (opts.lora) {
    // Scale the rank-r activations, not the output: r ≪ out.
    const d = opts.lora.dropout;
    const xa = d ? x.graph.where(d.keep, x, 0).matmul(opts.lora.a.t()).mul(d.scale) : x.matmul(opts.lora.a.t());
    y = y.add(xa.mul(opts.lora.scale).matmul(opts.lora.b.t()));
  }
  return y;
}

/** x · rsqrt(mean(x², -1) + eps) · weight (LlamaRMSNorm). */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  return x.mul(x.mul(x).mean(-1, true).add(eps).rsqrt()).mul(weight);
}

/** Concatenates (-x₂, x₁) of the two halves of the last axis. */
export function rotateHalf(x: Tensor): Tensor {
  const d = x.shape[x.rank - 1];
  if (typeof d !== 'number' || d % 2) throw new Error(`rotateHalf: last axis must be a concrete even size, got ${d}`);
  return x.graph.concat([x.slice(-1, d / 2, d).neg(), x.slice(-1, 0, d / 2)], -1);
}

/** Rotary position embedding; cos/sin [seq, headDim] (or broadcastable to x [batch, heads, seq, headDim]). */
export function rope(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  return x.mul(cos).add(rotateHalf(x).mul(sin));
}

/** cos and sin tables [seq, headDim] for positions 0..seq-1, as Hugging Face's default rotary embedding. */
export function ropeTables(seq: number, headDim: number, theta: number, dtype: 'float32' | 'float64' = 'float32'): { cos: Float32Array | Float64Array; sin: Float32Array | Float64Array } {
  const make = (n: number) => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
  const cos = make(seq * headDim);
  const sin = make(seq * headDim);
  const half = headDim / 2;
  for (let p = 0; p < seq; p++)
    for (let i = 0; i < half; i++) {
      // Same float32 rounding of the inverse frequency as torch: theta ** (-(2i)/d).
      const inv = Math.fround(1 / Math.pow(theta, (2 * i) / headDim));
      const a = dtype === 'float32' ? Math.fround(p * inv) : p * inv;
      cos[p * headDim + i] = cos[p * headDim + i + half] = Math.cos(a);
      sin[p * headDim + i] = sin[p * headDim + i + half] = Math.sin(a);
    }
  return { cos, sin };
}

/** Additive causal mask [seq, seq]: 0 on and below the diagonal, a large negative value above. */
export function causalMask(g: Graph, seq: Dim, dtype: DType = g.dtype): Tensor {
  const i = g.arange(seq);
  return g.where(i.unsqueeze(0).greater(i.unsqueeze(1)), -1e9, g.scalar(0, dtype));
}

export interface AttentionWeights {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  o: Tensor;
  qBias?: Tensor;
  kBias?: Tensor;
  vBias?: Tensor;
  lora?: Partial<Record<'q' | 'k' | 'v' | 'o', Lora>>;
}

export interface AttentionConfig {
  heads: number;
  kvHeads: number;
  headDim: number;
}

/**
 * Causal self-attention with RoPE and grouped-query attention, x [batch, seq, hidden]; `mask` is
 * additive, [seq, seq] or per sequence [batch, seq, seq] (causal + padding / packing).
 * GQA without copying K/V: the query heads that share a KV head are folded into the row axis
 * ([batch, kv, rep·seq, d] against [batch, kv, seq, d]), so there is no Expand and one larger MatMul.
 */
export function attention(x: Tensor, w: AttentionWeights, cfg: AttentionConfig, rot: { cos: Tensor; sin: Tensor }, mask: Tensor): Tensor {
  const [B, S] = x.shape;
  const { heads: H, kvHeads: KV, headDim: D } = cfg;
  if (H % KV) throw new Error(`attention: ${H} heads are not a multiple of ${KV} KV heads`);
  const rep = H / KV;
  const heads = (t: Tensor, n: number) => t.reshape([B, S, n, D]).transpose([0, 2, 1, 3]);
  const q = rope(heads(linear(x, w.q, { bias: w.qBias, lora: w.lora?.q }), H), rot.cos, rot.sin).mul(1 / Math.sqrt(D));
  const k = rope(heads(linear(x, w.k, { bias: w.kBias, lora: w.lora?.k }), KV), rot.cos, rot.sin);
  const v = heads(linear(x, w.v, { bias: w.vBias, lora: w.lora?.v }), KV);
  const grouped = (t: Tensor) => (rep === 1 ? t : t.reshape([B, KV, -1, D]));
  let scores = grouped(q).matmul(k.t()); // [B, KV, rep·S, S]
  const m = mask.rank === 3 ? mask.unsqueeze(rep === 1 ? [1] : [1, 2]) : mask;
  scores = rep === 1 ? scores.add(m) : scores.reshape([B, KV, rep, S, S]).add(m).reshape([B, KV, -1, S]);
  const probs = scores.softmax(-1);
  let o = probs.matmul(v); // [B, KV, rep·S, D]
  if (rep > 1) o = o.reshape([B, H, S, D]);
  o = o.transpose([0, 2, 1, 3]).reshape([B, S, H * D]);
  return linear(o, w.o, { lora: w.lora?.o });
}

export interface MlpWeights {
  gate: Tensor;
  up: Tensor;
  down: Tensor;
  lora?: Partial<Record<'gate' | 'up' | 'down', Lora>>;
}

/** SwiGLU feed-forward: down(silu(gate(x)) · up(x)). */
export function swiglu(x: Tensor, w: MlpWeights): Tensor {
  const gate = linear(x, w.gate, { lora: w.lora?.gate });
  const up = linear(x, w.up, { lora: w.lora?.up });
  return linear(gate.silu().mul(up), w.down, { lora: w.lora?.down });
}

export interface DecoderLayerWeights {
  inputNorm: Tensor;
  attn: AttentionWeights;
  postNorm: Tensor;
  mlp: MlpWeights;
}

/** One pre-norm Llama decoder layer: x + attn(norm(x)), then + mlp(norm(·)). */
export function decoderLayer(x: Tensor, w: DecoderLayerWeights, cfg: AttentionConfig & { eps: number }, rot: { cos: Tensor; sin: Tensor }, mask: Tensor): Tensor {
  const h = x.add(attention(rmsNorm(x, w.inputNorm, cfg.eps), w.attn, cfg, rot, mask));
  return h.add(swiglu(rmsNorm(h, w.postNorm, cfg.eps), w.mlp));
}
