/**
 * Cost, time and memory estimates for hosted fine-tuning, GPU training and inference. First-order
 * models with their assumptions spelled out: the UI shows them as estimates next to a source, never
 * as quotes.
 */
import type { GpuSpec, InferencePrice, TrainingPrice } from './catalog';
import { linearShapes, paramBreakdown, type ModelArch } from './modelSize';

/** 8,760 hours a year / 12: the hours an always-on GPU is billed in a month. */
export const hoursPerMonth = 730;

/**
 * The epochs OpenAI picks when `n_epochs` is left to "auto", per the OpenAI Cookbook "Data preparation
 * and analysis for chat model fine-tuning": aim at 3 epochs, but at least 100 and at most 25,000
 * example passes, within 1..25 epochs. So 8,333 records → 3, 8,334 → 2 (3 × 8,334 > 25,000). No
 * records → 0 (nothing is trained or billed).
 */
export function openAiDefaultEpochs(records: number): number {
  const n = Math.floor(records);
  if (!(n > 0)) return 0;
  if (n * 3 < 100) return Math.min(25, Math.floor(100 / n));
  if (n * 3 > 25000) return Math.max(1, Math.floor(25000 / n));
  return 3;
}

export interface HostedFineTuneEstimate {
  records: number;
  /** Tokens in the dataset, unclipped. */
  tokens: number;
  billedTokensPerEpoch: number;
  epochs: number;
  epochsDefaulted: boolean;
  billedTokens: number;
  /** Null without a per-token price (no price, or one billed per hour). */
  costUsd: number | null;
  price?: TrainingPrice;
}

/**
 * Hosted fine-tuning bill: Σ min(tokens, limit) × epochs tokens at the per-1M price. `limit` defaults
 * to the price's context limit. A summary (`sumClipped` already clipped by the caller) is used as is.
 */
export function hostedFineTune(
  recordTokens: ArrayLike<number> | { sumClipped: number; sum: number; records: number },
  opts: { epochs?: number; limit?: number; price?: TrainingPrice },
): HostedFineTuneEstimate {
  let records: number;
  let tokens = 0;
  let perEpoch = 0;
  if ('sumClipped' in recordTokens) {
    records = recordTokens.records;
    tokens = recordTokens.sum;
    perEpoch = recordTokens.sumClipped;
  } else {
    const limit = opts.limit ?? opts.price?.contextLimit ?? Infinity;
    records = recordTokens.length;
    for (let i = 0; i < recordTokens.length; i++) {
      const t = recordTokens[i]!;
      tokens += t;
      perEpoch += Math.min(t, limit);
    }
  }
  if (opts.epochs !== undefined && !(opts.epochs >= 0)) throw new RangeError(`epochs must be a non-negative number, got ${opts.epochs}`);
  const epochs = opts.epochs ?? openAiDefaultEpochs(records);
  const billedTokens = perEpoch * epochs;
  const perMillion = opts.price?.perMillionTokens;
  const est: HostedFineTuneEstimate = {
    records,
    tokens,
    billedTokensPerEpoch: perEpoch,
    epochs,
    epochsDefaulted: opts.epochs === undefined,
    billedTokens,
    costUsd: perMillion === undefined ? null : (billedTokens * perMillion) / 1e6,
  };
  if (opts.price) est.price = opts.price;
  return est;
}

export type TrainingMethod = 'full' | 'lora' | 'qlora';

export interface GpuTrainingEstimate {
  method: TrainingMethod;
  params: number;
  /** Tokens processed: tokens per epoch × epochs. */
  tokens: number;
  flops: number;
  gpu: GpuSpec;
  mfu: number;
  hours: number;
  costUsd: number;
}

/**
 * Training time and cost on one GPU. FLOPs ≈ 6·N·T for full fine-tuning (forward 2NT, backward 4NT:
 * activation and weight gradients) and 4·N·T for LoRA/QLoRA, whose frozen weights need no weight
 * gradients (adapter FLOPs are negligible). Gradient checkpointing adds a forward pass (+2NT), and
 * QLoRA's dequantisation makes it slower still: both are left to `mfu`, the fraction of the dense
 * peak actually reached (0.35 is typical of a well-tuned single-GPU run; small models reach less).
 */
export function gpuTraining(o: { params: number; tokensPerEpoch: number; epochs: number; method: TrainingMethod; gpu: GpuSpec; mfu?: number }): GpuTrainingEstimate {
  const mfu = o.mfu ?? 0.35;
  if (!(mfu > 0 && mfu <= 1)) throw new RangeError(`mfu must be in (0, 1], got ${mfu}`);
  const tokens = o.tokensPerEpoch * o.epochs;
  const flops = (o.method === 'full' ? 6 : 4) * o.params * tokens;
  const hours = flops / (o.gpu.peakBf16Tflops * 1e12 * mfu) / 3600;
  return { method: o.method, params: o.params, tokens, flops, gpu: o.gpu, mfu, hours, costUsd: hours * o.gpu.hourlyUsd };
}

export interface MemoryBreakdown {
  weightsGb: number;
  adapterGb: number;
  gradientsGb: number;
  optimizerGb: number;
  activationsGb: number;
  overheadGb: number;
  totalGb: number;
  gpuGb: number;
  fits: boolean;
  notes: string[];
}

const GiB = 2 ** 30;
const allLinear = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
/** NF4 with double quantisation (Dettmers et al. 2023): 4 bits + 8-bit scale per 64 + fp32 per 256 scales. */
const nf4BytesPerParam = (4 + 8 / 64 + 32 / (64 * 256)) / 8;

/**
 * Peak GPU memory of one training step on one GPU, in GB of 2^30 bytes (an "80GB" GPU has 80 of them).
 *
 * - Weights: 4 bytes/param in fp32, 2 in bf16/fp16. QLoRA stores the decoder's linear layers in NF4
 *   (≈0.516 bytes/param with quantisation constants) and keeps embeddings, lm_head and norms in bf16.
 * - LoRA adapters (PEFT keeps them in fp32): r × (in + out) per targeted linear per layer; default
 *   targets are PEFT's for Llama (q_proj, v_proj), default r = 8; "all-linear" targets all seven.
 * - Gradients: trainable params only (2 bytes in mixed precision full fine-tuning, 4 for adapters).
 * - Optimizer: AdamW's two fp32 moments, 8 bytes per trainable param, plus a 4-byte fp32 master copy
 *   for mixed-precision full fine-tuning: 16 bytes/param in all (ZeRO paper's accounting).
 * - Activations: Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer
 *   Models", §4.1) per-layer accounting, adapted to Llama-style layers (no dropout, RMSNorm, GQA,
 *   SwiGLU) and FlashAttention/SDPA, which stores no seq² score matrix. Per token per layer it keeps
 *   the norm inputs (normsPerLayer·h), the q/k/v input (h), Q, K, V (q + 2·kv), the o_proj input (q),
 *   the MLP input (h) and gate, up, act(gate), act(gate)·up (4·ffn), in the compute dtype. With
 *   gradient checkpointing only each layer's input (h) is kept, plus one layer recomputed in full.
 *   Logits add 6 bytes per vocab entry per token (bf16 output plus the fp32 copy the loss uses).
 * - Overhead: 1 GB for the CUDA context and kernels plus 8% of the rest for allocator fragmentation.
 */
export function trainingMemory(o: {
  arch: ModelArch;
  method: TrainingMethod;
  precision?: 'fp32' | 'bf16' | 'fp16';
  seqLen: number;
  batch: number;
  loraR?: number;
  targetModules?: string[];
  gradientCheckpointing?: boolean;
  gpu: GpuSpec;
}): MemoryBreakdown {
  const { arch, method, gpu } = o;
  const precision = o.precision ?? 'bf16';
  const notes: string[] = [];
  const wBytes = precision === 'fp32' ? 4 : 2;
  const actBytes = method === 'qlora' ? 2 : wBytes;
  const parts = paramBreakdown(arch);
  const params = arch.params;

  let weights: number;
  if (method === 'qlora') weights = parts.linear * nf4BytesPerParam + (params - parts.linear) * 2;
  else weights = params * wBytes;

  const shapes = linearShapes(arch);
  let adapterParams = 0;
  let adapterActs = 0;
  if (method !== 'full') {
    const r = o.loraR ?? 8;
    const requested = o.targetModules ?? ['q_proj', 'v_proj'];
    const targets = requested.includes('all-linear') ? allLinear : requested;
    for (const t of targets) {
      const shape = (shapes as Record<string, [number, number] | undefined>)[t];
      if (!shape) {
        notes.push(`Target module "${t}" is not a decoder linear layer (${allLinear.join(', ')}): not counted`);
        continue;
      }
      adapterParams += r * (shape[0] + shape[1]) * arch.layers;
      adapterActs += r;
    }
  }

  const trainable = method === 'full' ? params : adapterParams;
  const adapter = adapterParams * 4;
  const gradients = method === 'full' ? params * wBytes : adapterParams * 4;
  const optimizer = trainable * 8 + (method === 'full' && precision !== 'fp32' ? params * 4 : 0);

  const h = arch.hidden;
  const q = shapes.q_proj[1];
  const kv = shapes.k_proj[1];
  const perLayer = ((arch.normsPerLayer ?? 2) * h + h + q + 2 * kv + q + h + 4 * arch.ffn + adapterActs) * actBytes;
  const tokens = o.seqLen * o.batch;
  const layerActs = o.gradientCheckpointing ? arch.layers * h * actBytes + perLayer : arch.layers * perLayer;
  const activations = tokens * (layerActs + arch.vocab * 6);

  const subtotal = weights + adapter + gradients + optimizer + activations;
  const overhead = GiB + 0.08 * subtotal;
  const total = subtotal + overhead;
  const fits = total <= gpu.memoryGb * GiB;

  if (precision === 'bf16' && /\bT4\b|V100/i.test(gpu.name)) notes.push(`${gpu.name} has no bf16: train in fp16 (same memory)`);
  notes.push('Activations assume FlashAttention/SDPA; eager attention adds heads × seq_len² per layer');
  if (!fits) {
    if (!o.gradientCheckpointing) {
      const withGc = trainingMemory({ ...o, gradientCheckpointing: true });
      if (withGc.fits) notes.push(`Fits with gradient checkpointing (${withGc.totalGb.toFixed(1)} GB)`);
    }
    if (method === 'full') notes.push('LoRA or QLoRA needs far less memory than full fine-tuning');
    else if (method === 'lora') notes.push('QLoRA stores the base weights in 4 bits');
    if (o.batch > 1) notes.push('A smaller batch with gradient accumulation lowers activation memory');
  }

  return {
    weightsGb: weights / GiB,
    adapterGb: adapter / GiB,
    gradientsGb: gradients / GiB,
    optimizerGb: optimizer / GiB,
    activationsGb: activations / GiB,
    overheadGb: overhead / GiB,
    totalGb: total / GiB,
    gpuGb: gpu.memoryGb,
    fits,
    notes,
  };
}

export interface InferenceEstimate {
  perRequestUsd: number;
  /** Null without a monthly volume. */
  perMonthUsd: number | null;
  promptTokens: number;
  outputTokens: number;
  monthlyRequests?: number;
  price: InferencePrice;
}

export function hostedInference(o: { promptTokens: number; outputTokens: number; monthlyRequests?: number; price: InferencePrice }): InferenceEstimate {
  const perRequestUsd = o.promptTokens * o.price.inputPerToken + o.outputTokens * o.price.outputPerToken;
  const est: InferenceEstimate = {
    perRequestUsd,
    perMonthUsd: o.monthlyRequests === undefined ? null : perRequestUsd * o.monthlyRequests,
    promptTokens: o.promptTokens,
    outputTokens: o.outputTokens,
    price: o.price,
  };
  if (o.monthlyRequests !== undefined) est.monthlyRequests = o.monthlyRequests;
  return est;
}

export interface SelfHostedEstimate {
  gpu: GpuSpec;
  tokensPerSecond: number;
  gpuHoursPerMonth: number;
  perMonthUsd: number;
  perRequestUsd: number;
  alwaysOn: boolean;
  /** GPUs the volume keeps busy: more than one when one GPU's 730 h a month do not suffice (at least 1 when always on). */
  gpus: number;
}

/**
 * Self-hosted serving on rented GPUs. `tokensPerSecond` is the sustained aggregate throughput of one
 * GPU under batching, prompt and output tokens together (vLLM's "total token throughput"). Always on
 * (default), each GPU is billed 730 h a month whatever the traffic: that floor is what makes a small
 * volume expensive per request. Otherwise (scale to zero) only the busy GPU-hours are billed.
 */
export function selfHostedInference(o: { gpu: GpuSpec; tokensPerSecond: number; promptTokens: number; outputTokens: number; monthlyRequests: number; alwaysOn?: boolean }): SelfHostedEstimate {
  if (!(o.tokensPerSecond > 0)) throw new RangeError(`tokensPerSecond must be greater than 0, got ${o.tokensPerSecond}`);
  const alwaysOn = o.alwaysOn ?? true;
  const secondsPerRequest = (o.promptTokens + o.outputTokens) / o.tokensPerSecond;
  const busyHours = (o.monthlyRequests * secondsPerRequest) / 3600;
  const gpus = Math.max(alwaysOn ? 1 : 0, Math.ceil(busyHours / hoursPerMonth));
  const gpuHoursPerMonth = alwaysOn ? gpus * hoursPerMonth : busyHours;
  const perMonthUsd = gpuHoursPerMonth * o.gpu.hourlyUsd;
  const perRequestUsd = o.monthlyRequests > 0 ? perMonthUsd / o.monthlyRequests : (secondsPerRequest / 3600) * o.gpu.hourlyUsd;
  return { gpu: o.gpu, tokensPerSecond: o.tokensPerSecond, gpuHoursPerMonth, perMonthUsd, perRequestUsd, alwaysOn, gpus };
}
