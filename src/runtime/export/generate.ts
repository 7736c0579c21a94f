/**
 * Greedy text generation with transformers.js from a local folder in the layout onnxExport writes
 * (config.json, tokenizer, onnx/model.onnx), offline: remote models off, local files only, the fp32
 * file on the CPU. transformers.js (and with it onnxruntime-node) is imported on first use only.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type * as Transformers from '@huggingface/transformers';
import { ExportError } from './decoderGraph';
import { ONNX_FILE, ONNX_SUBFOLDER } from './onnxExport';

export interface GenerateOptions {
  /** Default 64. */
  maxNewTokens?: number;
  /** Wrap the prompt as one user message in the tokenizer's chat template. */
  chat?: boolean;
}

export interface Generation {
  /** The new text (special tokens skipped). */
  text: string;
  promptTokens: number[];
  /** New tokens, the end-of-sequence token included when generation stopped on it. */
  tokens: number[];
  ms: number;
}

/** The parts of transformers.js' text-generation pipeline used here (public API). */
interface TextGenerationPipeline {
  tokenizer: {
    (text: string, opts?: Record<string, unknown>): { input_ids: Transformers.Tensor; attention_mask: Transformers.Tensor };
    apply_chat_template(messages: { role: string; content: string }[], opts: Record<string, unknown>): unknown;
    decode(ids: number[], opts?: Record<string, unknown>): string;
  };
  model: { generate(opts: Record<string, unknown>): Promise<unknown> };
  dispose(): Promise<void>;
}

export class Generator {
  private constructor(
    readonly folder: string,
    private readonly pipe: TextGenerationPipeline,
  ) {}

  /** Checks the folder and loads the pipeline (seconds: the ONNX session is created here). */
  static async load(folder: string): Promise<Generator> {
    const dir = path.resolve(folder);
    const need: [string, string][] = [
      ['config.json', 'not a model folder'],
      ['tokenizer.json', 'no tokenizer'],
      [path.join(ONNX_SUBFOLDER, ONNX_FILE), `no ONNX model: write one with \`llmops export <run|adapter> --merge --onnx --out ${folder}\` (or \`llmops export <model folder> --onnx --out <folder>\`)`],
    ];
    for (const [f, why] of need) if (!existsSync(path.join(dir, f))) throw new ExportError(`${folder}: ${f} is missing (${why})`);
    const t = await import('@huggingface/transformers');
    t.env.allowRemoteModels = false;
    t.env.allowLocalModels = true;
    const pipe = (await t.pipeline('text-generation', dir, { dtype: 'fp32', device: 'cpu', local_files_only: true })) as unknown as TextGenerationPipeline;
    return new Generator(dir, pipe);
  }

  /** Prompt token ids, with the chat template when `chat`. */
  encode(prompt: string, chat = false): number[] {
    const tok = this.pipe.tokenizer;
    if (!chat) return idsOf(tok(prompt).input_ids);
    const text = tok.apply_chat_template([{ role: 'user', content: prompt }], { add_generation_prompt: true, tokenize: false });
    if (typeof text !== 'string') throw new ExportError('the tokenizer has no chat template (tokenizer_config.json chat_template): drop --chat');
    return idsOf(tok(text, { add_special_tokens: false }).input_ids);
  }

  /** Greedy decoding (no sampling) of up to maxNewTokens tokens, stopping at generation_config's eos tokens. */
  async generate(prompt: string | number[], opts: GenerateOptions = {}): Promise<Generation> {
    const t0 = performance.now();
    const promptTokens = typeof prompt === 'string' ? this.encode(prompt, opts.chat) : prompt;
    if (!promptTokens.length) throw new ExportError('the prompt is empty (no tokens)');
    const t = await import('@huggingface/transformers');
    const ids = new t.Tensor('int64', BigInt64Array.from(promptTokens, (v) => BigInt(v)), [1, promptTokens.length]);
    const mask = new t.Tensor('int64', new BigInt64Array(promptTokens.length).fill(1n), [1, promptTokens.length]);
    const out = (await this.pipe.model.generate({ input_ids: ids, attention_mask: mask, max_new_tokens: opts.maxNewTokens ?? 64, do_sample: false })) as Transformers.Tensor;
    const tokens = idsOf(out).slice(promptTokens.length);
    const text = this.pipe.tokenizer.decode(tokens, { skip_special_tokens: true });
    return { text, promptTokens, tokens, ms: performance.now() - t0 };
  }

  async dispose(): Promise<void> {
    await this.pipe.dispose();
  }
}

function idsOf(t: Transformers.Tensor): number[] {
  return Array.from(t.data as BigInt64Array, (v) => Number(v));
}
