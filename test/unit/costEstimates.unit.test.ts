import { strict as assert } from 'node:assert';
import type { GpuSpec, InferencePrice, TrainingPrice } from '../../src/core/cost/catalog';
import { gpuTraining, hostedFineTune, hostedInference, openAiDefaultEpochs, selfHostedInference, trainingMemory } from '../../src/core/cost/estimates';
import { gpuTable } from '../../src/core/cost/gpus';
import { knownArch, paramBreakdown } from '../../src/core/cost/modelSize';
import { trainingPrices } from '../../src/core/cost/trainingPrices';

const GiB = 2 ** 30;
const gpu = (prefix: string): GpuSpec => gpuTable.find((g) => g.name.startsWith(prefix))!;
const close = (actual: number | null | undefined, expected: number, what = ''): void => {
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what} ${actual} ≠ ${expected}`);
};
const gpt4oMiniTraining = trainingPrices.find((t) => t.model === 'gpt-4o-mini-2024-07-18')!;

describe('cost: estimates', () => {
  describe('openAiDefaultEpochs (OpenAI Cookbook heuristic)', () => {
    it('aims at 3 epochs within 100..25,000 example passes and 1..25 epochs', () => {
      const cases: [number, number][] = [
        [1, 25], // 3 < 100 → min(25, 100 // 1 = 100)
        [10, 10], // 30 < 100 → 100 // 10
        [20, 5], // 60 < 100 → 100 // 20
        [33, 3], // 99 < 100 → 100 // 33 = 3
        [34, 3], // 102: in range
        [8333, 3], // 24,999: in range
        [8334, 2], // 25,002 > 25,000 → 25,000 // 8,334 = 2
        [8335, 2], // 25,000 // 8,335 = 2
        [12500, 2], // 37,500 > 25,000 → 25,000 // 12,500 = 2
        [12501, 1],
        [30000, 1], // 25,000 // 30,000 = 0 → at least 1
      ];
      for (const [n, epochs] of cases) assert.equal(openAiDefaultEpochs(n), epochs, `n=${n}`);
    });

    it('gives 0 epochs for no records', () => {
      assert.equal(openAiDefaultEpochs(0), 0);
      assert.equal(openAiDefaultEpochs(-5), 0);
      assert.equal(openAiDefaultEpochs(NaN), 0);
    });
  });

  describe('hostedFineTune', () => {
    it('clips each record at the price context limit and defaults epochs', () => {
      // gpt-4o-mini: $3 per 1M training tokens, examples clipped at 65,536 tokens.
      // Σ min(t, 65,536) = 100 + 200 + 65,536 = 65,836; 3 records → 100 // 3 = 33 → min(25, 33) = 25 epochs;
      // billed 65,836 × 25 = 1,645,900 tokens → 1,645,900 × 3 / 1e6 = $4.9377.
      const e = hostedFineTune([100, 200, 70000], { price: gpt4oMiniTraining });
      assert.equal(e.records, 3);
      assert.equal(e.tokens, 70300);
      assert.equal(e.billedTokensPerEpoch, 65836);
      assert.equal(e.epochs, 25);
      assert.equal(e.epochsDefaulted, true);
      assert.equal(e.billedTokens, 1_645_900);
      close(e.costUsd, 4.9377);
      assert.equal(e.price, gpt4oMiniTraining);
    });

    it('takes explicit epochs and limit; no price → no cost', () => {
      // min(100,150) + min(200,150) + min(7e4,150) = 400 per epoch × 2.
      const e = hostedFineTune(Int32Array.from([100, 200, 70000]), { epochs: 2, limit: 150 });
      assert.equal(e.billedTokens, 800);
      assert.equal(e.epochsDefaulted, false);
      assert.equal(e.costUsd, null);
      assert.equal('price' in e, false);
    });

    it('accepts token totals computed elsewhere, and prices billed per hour have no token cost', () => {
      // 1,000 records → 3 epochs; 1,000,000 clipped tokens × 3 = 3M × $3 / 1M = $9.
      const e = hostedFineTune({ sumClipped: 1_000_000, sum: 1_200_000, records: 1000 }, { price: gpt4oMiniTraining });
      assert.equal(e.tokens, 1_200_000);
      assert.equal(e.billedTokens, 3_000_000);
      close(e.costUsd, 9);
      const rft: TrainingPrice = trainingPrices.find((t) => t.perHour !== undefined)!;
      assert.equal(hostedFineTune([10], { price: rft }).costUsd, null);
      assert.throws(() => hostedFineTune([10], { epochs: -1 }), RangeError);
    });

    it('bills nothing for an empty dataset', () => {
      const e = hostedFineTune([], { price: gpt4oMiniTraining });
      assert.equal(e.epochs, 0);
      assert.equal(e.costUsd, 0);
    });
  });

  describe('gpuTraining', () => {
    it('135M LoRA, 1M tokens × 3 epochs on an H100: 4·N·T FLOPs at 35% of 989 TFLOPS', () => {
      const h100 = gpu('H100 SXM');
      const e = gpuTraining({ params: 135e6, tokensPerEpoch: 1e6, epochs: 3, method: 'lora', gpu: h100 });
      // 4 × 135e6 × 3e6 = 1.62e15 FLOPs; 989e12 × 0.35 = 3.4615e14 FLOP/s → 4.680052 s = 0.00130001 h.
      assert.equal(e.flops, 1.62e15);
      assert.equal(e.tokens, 3e6);
      assert.equal(e.mfu, 0.35);
      close(e.hours, 1.62e15 / 3.4615e14 / 3600);
      assert.ok(Math.abs(e.hours - 0.0013000) < 1e-7);
      close(e.costUsd, e.hours * 2.99);
    });

    it('full fine-tuning costs 6·N·T: 1.5× LoRA; QLoRA counts like LoRA; mfu scales time', () => {
      const a100 = gpu('A100 80GB');
      const o = { params: 8.03e9, tokensPerEpoch: 5e6, epochs: 2, gpu: a100 };
      const full = gpuTraining({ ...o, method: 'full' });
      const lora = gpuTraining({ ...o, method: 'lora' });
      assert.equal(full.flops, 6 * 8.03e9 * 1e7);
      close(full.hours / lora.hours, 1.5);
      assert.equal(gpuTraining({ ...o, method: 'qlora' }).flops, lora.flops);
      close(gpuTraining({ ...o, method: 'lora', mfu: 0.175 }).hours, 2 * lora.hours);
      assert.throws(() => gpuTraining({ ...o, method: 'lora', mfu: 0 }), RangeError);
    });
  });

  describe('trainingMemory', () => {
    it('SmolLM2-135M full bf16: 16 bytes per parameter plus activations, by hand', () => {
      const arch = knownArch('HuggingFaceTB/SmolLM2-135M')!;
      const m = trainingMemory({ arch, method: 'full', seqLen: 1024, batch: 2, gpu: gpu('T4') });
      const n = 134_515_008;
      close(m.weightsGb * GiB, 2 * n);
      close(m.gradientsGb * GiB, 2 * n);
      close(m.optimizerGb * GiB, 12 * n); // fp32 master 4 + AdamW moments 8
      assert.equal(m.adapterGb, 0);
      // Per token per layer: 2 norm inputs 2·576 + qkv input 576 + Q 576 + K,V 2·192 + o input 576
      // + MLP input 576 + 4·1536 = 9,984 values × 2 bytes = 19,968 bytes; × 30 layers = 599,040;
      // logits 49,152 × 6 = 294,912 → 893,952 bytes × 2,048 tokens = 1,830,813,696.
      close(m.activationsGb * GiB, 1_830_813_696);
      const subtotal = 16 * n + 1_830_813_696;
      close(m.overheadGb * GiB, GiB + 0.08 * subtotal);
      close(m.totalGb * GiB, subtotal * 1.08 + GiB); // 5.006 GB
      assert.equal(m.gpuGb, 16);
      assert.equal(m.fits, true);
      assert.ok(m.notes.some((s) => /no bf16/.test(s)));
    });

    it('gradient checkpointing keeps one input per layer plus one layer', () => {
      const arch = knownArch('HuggingFaceTB/SmolLM2-135M')!;
      const m = trainingMemory({ arch, method: 'full', seqLen: 1, batch: 1, gradientCheckpointing: true, gpu: gpu('T4') });
      // 30 × 576 × 2 + 19,968 + 294,912 = 349,440 bytes per token.
      close(m.activationsGb * GiB, 349_440);
    });

    it('LoRA: frozen bf16 weights, fp32 adapters r·(in+out) on the targeted layers', () => {
      const arch = knownArch('meta-llama/Llama-3.1-8B')!;
      const m = trainingMemory({ arch, method: 'lora', seqLen: 2048, batch: 1, gradientCheckpointing: true, gpu: gpu('H100 SXM') });
      // Default r = 8 on q_proj (4096→4096) and v_proj (4096→1024): 8 × (8,192 + 5,120) × 32 layers = 3,407,872.
      const adapter = 3_407_872;
      close(m.weightsGb * GiB, 2 * 8_030_261_248);
      close(m.adapterGb * GiB, 4 * adapter);
      close(m.gradientsGb * GiB, 4 * adapter);
      close(m.optimizerGb * GiB, 8 * adapter);
      assert.equal(m.fits, true);
      // All seven linears at r = 16: 16 × (8,192 + 5,120 + 5,120 + 8,192 + 3 × 18,432) × 32 = 41,943,040.
      const all = trainingMemory({ arch, method: 'lora', loraR: 16, targetModules: ['all-linear'], seqLen: 2048, batch: 1, gpu: gpu('H100 SXM') });
      close(all.adapterGb * GiB, 4 * 41_943_040);
      const odd = trainingMemory({ arch, method: 'lora', targetModules: ['q_proj', 'lm_head'], seqLen: 16, batch: 1, gpu: gpu('H100 SXM') });
      assert.ok(odd.notes.some((s) => /"lm_head" is not a decoder linear layer/.test(s)));
    });

    it('QLoRA: NF4 decoder linears (≈0.516 bytes/param), bf16 embeddings and lm_head: an 8B fits a T4', () => {
      const arch = knownArch('meta-llama/Llama-3.1-8B')!;
      const b = paramBreakdown(arch);
      const m = trainingMemory({ arch, method: 'qlora', seqLen: 1024, batch: 1, gradientCheckpointing: true, gpu: gpu('T4') });
      // 4 bits + 8-bit scale / 64 + fp32 scale / (64·256) = 4.126953125 bits = 0.515869140625 bytes.
      close(m.weightsGb * GiB, b.linear * 0.515869140625 + (arch.params - b.linear) * 2);
      assert.ok(m.weightsGb > 5.2 && m.weightsGb < 5.4); // vs ~15 GB in bf16
      assert.equal(m.fits, true);
    });

    it('says when it does not fit, and what would help', () => {
      const full = trainingMemory({ arch: knownArch('meta-llama/Llama-3.1-8B')!, method: 'full', seqLen: 2048, batch: 1, gradientCheckpointing: true, gpu: gpu('H100 SXM') });
      assert.equal(full.fits, false);
      assert.ok(full.totalGb > 120 && full.totalGb < 140); // 16 bytes × 8.03B = 119.7 GB before activations
      assert.ok(full.notes.some((s) => /LoRA or QLoRA/.test(s)));
      const long = trainingMemory({ arch: knownArch('meta-llama/Llama-3.2-1B')!, method: 'lora', seqLen: 4096, batch: 4, gpu: gpu('L4') });
      assert.equal(long.fits, false);
      assert.ok(long.notes.some((s) => /^Fits with gradient checkpointing \(\d+\.\d GB\)$/.test(s)));
      assert.ok(long.notes.some((s) => /QLoRA/.test(s)));
      assert.ok(long.notes.some((s) => /smaller batch/.test(s)));
    });

    it('fp32 full fine-tuning has no master copy: still 16 bytes per parameter', () => {
      const arch = knownArch('HuggingFaceTB/SmolLM2-135M')!;
      const m = trainingMemory({ arch, method: 'full', precision: 'fp32', seqLen: 1, batch: 1, gpu: gpu('A100 80GB') });
      close((m.weightsGb + m.gradientsGb + m.optimizerGb) * GiB, 16 * arch.params);
      close(m.optimizerGb * GiB, 8 * arch.params);
    });
  });

  describe('inference', () => {
    const gpt4o: InferencePrice = { model: 'gpt-4o', inputPerToken: 2.5e-6, outputPerToken: 1e-5, source: 'test' };

    it('hosted: prompt and output tokens at their prices, per request and per month', () => {
      // 1,000 × $2.5/1M + 200 × $10/1M = $0.0025 + $0.002 = $0.0045; × 500,000 = $2,250.
      const e = hostedInference({ promptTokens: 1000, outputTokens: 200, monthlyRequests: 500_000, price: gpt4o });
      close(e.perRequestUsd, 0.0045);
      close(e.perMonthUsd, 2250);
      assert.equal(e.monthlyRequests, 500_000);
      assert.equal(hostedInference({ promptTokens: 1000, outputTokens: 200, price: gpt4o }).perMonthUsd, null);
    });

    it('self-hosted, always on: 730 GPU-hours a month per GPU whatever the traffic', () => {
      const h100 = gpu('H100 SXM'); // $2.99/h
      // 1,200 tokens at 2,000 tokens/s = 0.6 s; 500,000 requests = 83.3 busy hours, but billed 730 h.
      const e = selfHostedInference({ gpu: h100, tokensPerSecond: 2000, promptTokens: 1000, outputTokens: 200, monthlyRequests: 500_000 });
      assert.equal(e.alwaysOn, true);
      assert.equal(e.gpus, 1);
      assert.equal(e.gpuHoursPerMonth, 730);
      close(e.perMonthUsd, 730 * 2.99);
      close(e.perRequestUsd, (730 * 2.99) / 500_000);
      // 5M requests = 833.3 busy hours: two GPUs.
      const big = selfHostedInference({ gpu: h100, tokensPerSecond: 2000, promptTokens: 1000, outputTokens: 200, monthlyRequests: 5_000_000 });
      assert.equal(big.gpus, 2);
      assert.equal(big.gpuHoursPerMonth, 1460);
    });

    it('self-hosted, scale to zero: only busy hours; no traffic → marginal cost per request', () => {
      const h100 = gpu('H100 SXM');
      const e = selfHostedInference({ gpu: h100, tokensPerSecond: 2000, promptTokens: 1000, outputTokens: 200, monthlyRequests: 500_000, alwaysOn: false });
      close(e.gpuHoursPerMonth, 300_000 / 3600);
      close(e.perMonthUsd, (300_000 / 3600) * 2.99);
      close(e.perRequestUsd, (0.6 / 3600) * 2.99);
      const idle = selfHostedInference({ gpu: h100, tokensPerSecond: 2000, promptTokens: 1000, outputTokens: 200, monthlyRequests: 0 });
      close(idle.perMonthUsd, 730 * 2.99);
      close(idle.perRequestUsd, (0.6 / 3600) * 2.99);
      assert.throws(() => selfHostedInference({ gpu: h100, tokensPerSecond: 0, promptTokens: 1, outputTokens: 1, monthlyRequests: 1 }), RangeError);
    });
  });
});
