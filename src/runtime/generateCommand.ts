/**
 * `llmops generate <model folder> --prompt "…" [--max-new-tokens N] [--chat] [--json]`: greedy
 * generation with transformers.js (offline) from a folder `llmops export --onnx` wrote.
 */
import * as path from 'node:path';
import { ExportError } from './export/decoderGraph';
import { Generator } from './export/generate';

export interface GenerateIo {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
}

export const generateUsage = `Usage: llmops generate <model folder> --prompt "…" [options]

  Greedy decoding with transformers.js, offline, from a folder with onnx/model.onnx
  (llmops export … --onnx).
  --prompt TEXT         The prompt (required)
  --max-new-tokens N    Most tokens to generate (default 64)
  --chat                Wrap the prompt as a user message in the tokenizer's chat template
  --json                Print {text, prompt_tokens, tokens, ms} as JSON
`;

export async function runGenerate(args: string[], io: GenerateIo): Promise<number> {
  let prompt: string | undefined;
  let maxNewTokens = 64;
  let chat = false;
  let json = false;
  const rest: string[] = [];
  const usage = (m: string): number => {
    io.err(`llmops generate: ${m}\n\n${generateUsage}`);
    return 2;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '--prompt') {
      prompt = inline ?? args[++i];
      if (prompt === undefined) return usage('--prompt needs a text');
    } else if (flag === '--max-new-tokens') {
      const v = inline ?? args[++i];
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) return usage(`--max-new-tokens must be a whole number ≥ 1, got ${v ?? 'nothing'}`);
      maxNewTokens = n;
    } else if (flag === '--chat') chat = true;
    else if (flag === '--json') json = true;
    else if (a === '--help' || a === '-h') {
      io.out(generateUsage);
      return 0;
    } else if (a.startsWith('-')) return usage(`unknown option ${a}`);
    else rest.push(a);
  }
  if (rest.length !== 1) return usage('generate needs one model folder');
  if (prompt === undefined || prompt === '') return usage('generate needs --prompt "…"');

  let gen: Generator | undefined;
  try {
    gen = await Generator.load(path.resolve(io.cwd, rest[0]));
    const g = await gen.generate(prompt, { maxNewTokens, chat });
    if (json) io.out(JSON.stringify({ text: g.text, prompt_tokens: g.promptTokens.length, tokens: g.tokens, ms: Math.round(g.ms) }) + '\n');
    else io.out(g.text + '\n');
    return 0;
  } catch (e) {
    if (e instanceof ExportError) {
      io.err(`llmops generate: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    await gen?.dispose();
  }
}
