/**
 * A Hugging Face model folder (Llama, Mistral, Qwen2, Qwen3) → an ONNX decoder with KV cache in the
 * folder layout transformers.js v4 loads offline with `pipeline('text-generation', folder)`:
 * config.json, generation_config.json and the tokenizer files at the top, the graph in
 * `onnx/model.onnx` (transformers.js' default subfolder and file name; dtype fp32 has no suffix,
 * while q8 / fp16 would look for model_quantized.onnx / model_fp16.onnx). Weights are initializers
 * inside the file: models over protobuf's 2 GB limit would need ONNX external data, not written here.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { emitModel } from '../engine/emit';
import { checkTensors, readHfConfig, type DecoderConfig } from '../models/hfConfig';
import { tokenizerFiles } from '../models/modelInit';
import { SafetensorsModel, writeAtomic, writeFileAtomic } from '../models/safetensors';
import { buildDecoderGraph, ExportError } from './decoderGraph';

export const ONNX_SUBFOLDER = 'onnx';
export const ONNX_FILE = 'model.onnx';
/** protobuf's hard limit on one serialised message (the ModelProto with its initializers). */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

/** Reads every tensor a config needs as float32, after checking names and shapes. */
export async function readModelWeights(folder: string, cfg: DecoderConfig): Promise<Map<string, Float32Array>> {
  const st = await SafetensorsModel.open(folder);
  try {
    const errors = checkTensors(cfg, st.shapes()).filter((p) => p.severity === 'error');
    if (errors.length) throw new ExportError(`${folder}: ${errors.slice(0, 3).map((e) => e.message).join('; ')}${errors.length > 3 ? ` (and ${errors.length - 3} more)` : ''}`);
    const out = new Map<string, Float32Array>();
    for (const name of st.names()) if (!/\.rotary_emb\.inv_freq$/.test(name)) out.set(name, await st.read(name));
    return out;
  } finally {
    await st.close();
  }
}

/** Copies the tokenizer files and generation_config.json that exist in `from` into `to`. */
export async function copySideFiles(from: string, to: string): Promise<string[]> {
  const copied: string[] = [];
  for (const f of [...tokenizerFiles, 'generation_config.json']) {
    const src = path.join(from, f);
    const dst = path.join(to, f);
    if (path.resolve(src) === path.resolve(dst)) continue;
    try {
      await fs.access(src);
    } catch {
      continue;
    }
    await writeFileAtomic(dst, await fs.readFile(src));
    copied.push(f);
  }
  return copied;
}

/** generation_config.json from config.json's special tokens, for folders that have none. */
export function defaultGenerationConfig(cfg: DecoderConfig): Record<string, unknown> {
  return { _from_model_config: true, bos_token_id: cfg.bosTokenId, eos_token_id: cfg.eosTokenId };
}

export interface OnnxExportResult {
  out: string;
  onnxFile: string;
  bytes: number;
  nodes: number;
  config: DecoderConfig;
  ms: number;
}

/**
 * Exports the model in `modelFolder` to `<out>/onnx/model.onnx` and writes config.json (with
 * transformers.js' dtype set to fp32), generation_config.json and the tokenizer next to it.
 * `out` may be `modelFolder` itself (the ONNX file is then added to the HF folder).
 */
export async function exportOnnx(modelFolder: string, out: string): Promise<OnnxExportResult> {
  const t0 = performance.now();
  const cfg = await readHfConfig(modelFolder);
  const rawConfig = JSON.parse(await fs.readFile(path.join(modelFolder, 'config.json'), 'utf8')) as Record<string, unknown>;
  const weights = await readModelWeights(modelFolder, cfg);
  let total = 0;
  for (const w of weights.values()) total += w.byteLength;
  if (total >= PROTOBUF_LIMIT)
    throw new ExportError(`${modelFolder}: ${(total / 2 ** 30).toFixed(2)} GiB of float32 weights is over ONNX's 2 GB single-file limit; ONNX external data files are not supported yet`);

  const { graph, outputs } = buildDecoderGraph(cfg, weights, { cache: true });
  const model = emitModel(graph, { outputs, dims: {}, frozenAs: 'initializer' });
  weights.clear();

  await fs.mkdir(path.join(out, ONNX_SUBFOLDER), { recursive: true });
  const onnxFile = path.join(out, ONNX_SUBFOLDER, ONNX_FILE);
  await writeAtomic(onnxFile, async (fh) => {
    for (let done = 0; done < model.bytes.length; ) {
      const { bytesWritten } = await fh.write(model.bytes, done, Math.min(64 * 2 ** 20, model.bytes.length - done), done);
      done += bytesWritten;
    }
  });
  await copySideFiles(modelFolder, out);
  try {
    await fs.access(path.join(out, 'generation_config.json'));
  } catch {
    await writeFileAtomic(path.join(out, 'generation_config.json'), JSON.stringify(defaultGenerationConfig(cfg), null, 2) + '\n');
  }
  // transformers.js reads head_dim for the cache shapes (absent in older Llama configs) and picks the
  // file from dtype: fp32 → model.onnx on every device (the wasm default would be q8).
  const config = { ...rawConfig, head_dim: cfg.headDim, 'transformers.js_config': { ...(rawConfig['transformers.js_config'] as object | undefined), dtype: 'fp32' } };
  await writeFileAtomic(path.join(out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  return { out, onnxFile, bytes: model.bytes.length, nodes: model.nodeCount, config: cfg, ms: performance.now() - t0 };
}
