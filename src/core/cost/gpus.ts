/**
 * GPUs for training and self-hosting estimates. Peak figures are dense (no 2:4 sparsity) tensor-core
 * BF16 with FP32 accumulate, from NVIDIA datasheets; marketing pages often quote the sparse figure,
 * twice as high, which no training run reaches. Hourly prices are one provider's on-demand list price
 * for one GPU as of 2025-09 (they move often and differ by region: override them under `prices:`).
 *
 * Aliases (matched case-insensitively, ignoring spaces, dashes and a leading "NVIDIA"): "h100" is the
 * SXM part (what clouds rent), "a100" the 80 GB one, "4090" the RTX 4090.
 */
import type { GpuSpec } from './catalog';

const date = '2025-09';

export const gpuTable: GpuSpec[] = [
  {
    name: 'T4 16GB',
    memoryGb: 16,
    peakBf16Tflops: 65,
    hourlyUsd: 0.526,
    aliases: ['t4', 'tesla t4'],
    note: 'Turing has no BF16: 65 is the FP16 tensor figure; train in fp16',
    source: 'NVIDIA T4 datasheet (FP16 mixed precision 65 TFLOPS); $/h: AWS g4dn.xlarge on-demand, us-east-1',
    date,
  },
  {
    name: 'L4 24GB',
    memoryGb: 24,
    peakBf16Tflops: 121,
    hourlyUsd: 0.805,
    aliases: ['l4'],
    source: 'NVIDIA L4 datasheet (BF16 242 TFLOPS with sparsity, 121 dense); $/h: AWS g6.xlarge on-demand, us-east-1',
    date,
  },
  {
    name: 'A10G 24GB',
    memoryGb: 24,
    peakBf16Tflops: 70,
    hourlyUsd: 1.006,
    aliases: ['a10g'],
    note: 'AWS-only variant of the A10 with fewer tensor FLOPs (the A10 datasheet says 125); NVIDIA publishes no A10G datasheet',
    source: 'AWS/NVIDIA figures as tabulated in Baseten, "NVIDIA A10 vs A10G for ML model inference"; $/h: AWS g5.xlarge on-demand, us-east-1',
    date,
  },
  {
    name: 'L40S 48GB',
    memoryGb: 48,
    peakBf16Tflops: 362,
    hourlyUsd: 1.861,
    aliases: ['l40s'],
    source: 'NVIDIA L40S datasheet (BF16 733 TFLOPS with sparsity, 362 dense); $/h: AWS g6e.xlarge on-demand, us-east-1',
    date,
  },
  {
    name: 'A100 40GB',
    memoryGb: 40,
    peakBf16Tflops: 312,
    hourlyUsd: 1.29,
    aliases: ['a100 40gb', 'a100-40g', 'a100 sxm4 40gb'],
    source: 'NVIDIA A100 datasheet (BF16 312 TFLOPS dense); $/h: Lambda on-demand 1x A100 40GB SXM4',
    date,
  },
  {
    name: 'A100 80GB',
    memoryGb: 80,
    peakBf16Tflops: 312,
    hourlyUsd: 1.79,
    aliases: ['a100', 'a100-80g', 'a100 sxm4 80gb', 'a100 sxm'],
    source: 'NVIDIA A100 datasheet (BF16 312 TFLOPS dense); $/h: Lambda on-demand A100 80GB SXM4, per GPU',
    date,
  },
  {
    name: 'H100 SXM 80GB',
    memoryGb: 80,
    peakBf16Tflops: 989,
    hourlyUsd: 2.99,
    aliases: ['h100', 'h100 sxm', 'h100 sxm5', 'h100 80gb', 'h100 80gb hbm3'],
    source: 'NVIDIA H100 datasheet (SXM: BF16 1,979 TFLOPS with sparsity, 989 dense); $/h: Lambda on-demand H100 SXM, per GPU',
    date,
  },
  {
    name: 'H100 PCIe 80GB',
    memoryGb: 80,
    peakBf16Tflops: 756,
    hourlyUsd: 2.49,
    aliases: ['h100 pcie'],
    source: 'NVIDIA H100 datasheet (PCIe: BF16 1,513 TFLOPS with sparsity, 756 dense); $/h: Lambda on-demand 1x H100 PCIe',
    date,
  },
  {
    name: 'H200 141GB',
    memoryGb: 141,
    peakBf16Tflops: 989,
    hourlyUsd: 3.99,
    aliases: ['h200', 'h200 sxm'],
    source: 'NVIDIA H200 datasheet (SXM: BF16 1,979 TFLOPS with sparsity, 989 dense); $/h: RunPod secure cloud on-demand, approximate',
    date,
  },
  {
    name: 'RTX 4090 24GB',
    memoryGb: 24,
    peakBf16Tflops: 165,
    hourlyUsd: 0.69,
    aliases: ['4090', 'rtx 4090', 'geforce rtx 4090'],
    source: 'NVIDIA Ada Lovelace architecture whitepaper (RTX 4090: BF16 with FP32 accumulate 165.2 TFLOPS dense); $/h: RunPod secure cloud on-demand, approximate',
    date,
  },
];
