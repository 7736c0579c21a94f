/**
 * Forward-only graph of a whole Llama-family decoder (Llama, Mistral, Qwen2 with q/k/v bias, Qwen3
 * with q/k norms), with or without a KV cache, in the input/output layout transformers.js feeds a
 * text-generation model: input_ids, attention_mask, position_ids, past_key_values.{i}.key|value →
 * logits, present.{i}.key|value. Built from the engine's layers; weights are frozen parameters.
 */
import { dimAdd, type Dim } from '../engine/dims';
import { Graph, type Tensor } from '../engine/graph';
import { linear, rmsNorm, rope } from '../engine/layers';
import { expectedTensors, ropeInvFreq, type DecoderConfig } from '../models/hfConfig';

export class ExportError extends Error {
  override name = 'ExportError';
}

/** Symbolic dims, named as Optimum names them in exported decoders. */
export const BATCH = 'batch_size';
export const SEQ = 'sequence_length';
export const PAST = 'past_sequence_length';

export interface DecoderGraph {
  graph: Graph;
  /** Model outputs, ONNX name → tensor: logits, then present.{i}.key / present.{i}.value with a cache. */
  outputs: Array<readonly [string, Tensor]>;
}

/** Added to the scores of masked keys (a finite value: a fully padded row stays finite). */
const MASKED = -1e9;

/**
 * Builds the decoder graph. `weights` maps Hugging Face tensor names to float32 values (checked
 * against the config's shapes); with `cache`, past keys/values are inputs and the updated ones outputs.
 */
export function buildDecoderGraph(cfg: DecoderConfig, weights: ReadonlyMap<string, Float32Array>, opts: { cache: boolean }): DecoderGraph {
  // Qwen2/3 apply the window only from layer max_window_layers on, which DecoderConfig does not carry.
  if (cfg.slidingWindow !== null && cfg.arch !== 'mistral') throw new ExportError(`${cfg.architecture} with use_sliding_window is not supported by the export (Mistral's sliding window is)`);
  const g = new Graph({ dtype: 'float32' });
  const params = new Map<string, Tensor>();
  for (const t of expectedTensors(cfg)) {
    const data = weights.get(t.name);
    if (!data) throw new ExportError(`missing tensor ${t.name} (expected shape [${t.shape.join(', ')}])`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new ExportError(`tensor ${t.name} has ${data.length} values, config.json implies [${t.shape.join(', ')}] = ${n}`);
    params.set(t.name, g.param(t.name, t.shape, { trainable: false, data }));
  }
  const p = (name: string): Tensor => params.get(name)!;
  const opt = (name: string): Tensor | undefined => params.get(name);

  const H = cfg.numHeads;
  const KV = cfg.numKvHeads;
  const D = cfg.headDim;
  const rep = H / KV;
  const B: Dim = BATCH;
  const S: Dim = SEQ;
  const past: Dim = opts.cache ? PAST : 0;
  const T = dimAdd(past, S);

  const inputIds = g.input('input_ids', [B, S], 'int64');
  const attentionMask = g.input('attention_mask', [B, T], 'int64');
  const positionIds = g.input('position_ids', [B, S], 'int64');
  const pastKv: { key: Tensor; value: Tensor }[] = [];
  if (opts.cache)
    for (let i = 0; i < cfg.numLayers; i++)
      pastKv.push({ key: g.input(`past_key_values.${i}.key`, [B, KV, past, D]), value: g.input(`past_key_values.${i}.value`, [B, KV, past, D]) });

  // Rotary tables from the positions, as transformers' rotary embedding: cat(freqs, freqs) in float32.
  const inv = g.constant(Float32Array.from(ropeInvFreq(cfg)), [D / 2]);
  const freqs = positionIds.cast('float32').unsqueeze(-1).mul(inv); // [B, S, D/2]
  const emb = g.concat([freqs, freqs], -1).unsqueeze(1); // [B, 1, S, D]
  const rot = { cos: emb.cos(), sin: emb.sin() };

  // Additive mask [B, 1, 1, S, T]: causal (query i sits at position past + i), sliding window, padding.
  const keyPos = g.arange(T);
  const queryPos = g.arange(S).add(g.dimValue(past, 'int64'));
  const ahead = keyPos.unsqueeze(0).greater(queryPos.unsqueeze(1)); // [S, T]
  let bias = g.where(attentionMask.equal(0).unsqueeze(1), MASKED, g.scalar(0)); // [B, 1, T]
  if (cfg.slidingWindow !== null) {
    const tooFar = queryPos.unsqueeze(1).sub(keyPos.unsqueeze(0)).greater(g.scalar(cfg.slidingWindow - 1, 'int64'));
    bias = g.where(tooFar, MASKED, bias);
  }
  bias = g.where(ahead, MASKED, bias).unsqueeze([1, 2]); // [B, 1, 1, S, T]

  let h = p('model.embed_tokens.weight').gather(inputIds, 0); // [B, S, hidden]
  const outputs: Array<readonly [string, Tensor]> = [];
  const presents: Array<readonly [string, Tensor]> = [];
  for (let i = 0; i < cfg.numLayers; i++) {
    const l = `model.layers.${i}`;
    g.scope(`layers.${i}`, () => {
      const x = rmsNorm(h, p(`${l}.input_layernorm.weight`), cfg.rmsNormEps);
      const proj = (m: string, n: number): Tensor => {
        let t = linear(x, p(`${l}.self_attn.${m}_proj.weight`), { bias: opt(`${l}.self_attn.${m}_proj.bias`) }).reshape([B, S, n, D]);
        const norm = opt(`${l}.self_attn.${m}_norm.weight`);
        if (norm) t = rmsNorm(t, norm, cfg.rmsNormEps);
        return t.transpose([0, 2, 1, 3]); // [B, n, S, D]
      };
      const q = rope(proj('q', H), rot.cos, rot.sin).mul(1 / Math.sqrt(D));
      let k = rope(proj('k', KV), rot.cos, rot.sin);
      let v = proj('v', KV);
      if (opts.cache) {
        k = g.concat([pastKv[i].key, k], 2); // [B, KV, T, D]
        v = g.concat([pastKv[i].value, v], 2);
        presents.push([`present.${i}.key`, k], [`present.${i}.value`, v]);
      }
      // Grouped-query attention without repeating K/V: the query heads sharing a KV head are folded
      // into the row axis (only Reshape and MatMul, no repeat_interleave for ORT to trip on).
      const scores = q.reshape([B, KV, rep, S, D]).matmul(k.unsqueeze(2).t()).add(bias); // [B, KV, rep, S, T]
      const o = scores.softmax(-1).matmul(v.unsqueeze(2)); // [B, KV, rep, S, D]
      const attn = o.reshape([B, H, S, D]).transpose([0, 2, 1, 3]).reshape([B, S, H * D]);
      h = h.add(linear(attn, p(`${l}.self_attn.o_proj.weight`), { bias: opt(`${l}.self_attn.o_proj.bias`) }));
      const y = rmsNorm(h, p(`${l}.post_attention_layernorm.weight`), cfg.rmsNormEps);
      const mlp = (m: string, t: Tensor): Tensor => linear(t, p(`${l}.mlp.${m}_proj.weight`), { bias: opt(`${l}.mlp.${m}_proj.bias`) });
      h = h.add(mlp('down', mlp('gate', y).silu().mul(mlp('up', y))));
    });
  }
  h = rmsNorm(h, p('model.norm.weight'), cfg.rmsNormEps);
  const logits = linear(h, cfg.tieWordEmbeddings ? p('model.embed_tokens.weight') : p('lm_head.weight')); // [B, S, vocab]
  outputs.push(['logits', logits], ...presents);
  return { graph: g, outputs };
}
