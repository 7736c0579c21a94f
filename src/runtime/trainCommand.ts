/**
 * `llmops train <config> [--json] [--resume <run>] [--threads N]`: LoRA fine-tuning on the built-in
 * engine, as its own process (never in the language server). The trainer (and onnxruntime-node)
 * is imported lazily here, so other commands do not pay for loading ORT.
 * Exit: 0 completed or cancelled, 1 failed, 2 usage or config errors (printed as file:line:col).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseTrainConfig, type TrainConfig } from '../core/train/config';
import type { TrainEvent } from './train/trainer';

export interface TrainIo {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
  /** Terminal output: redraw a progress line in place. */
  tty?: boolean;
}

export const trainUsage = `Usage: llmops train <config.train.yaml> [options]

  Fine-tune a LoRA adapter with the built-in engine (ONNX Runtime on the CPU, nothing to install).
  Writes <output_dir>/<run-id>/: run.json, metrics.jsonl, checkpoints/step-N/, adapter/ (PEFT).
      --json            JSON lines on stdout: start, step, eval, checkpoint, done events
      --resume <run>    Continue a run folder from its last checkpoint (same results as uninterrupted)
      --threads N       ONNX Runtime threads (default: all cores)
  Ctrl-C (SIGINT) or SIGTERM saves a checkpoint and ends the run as cancelled.
  Exit status: 0 completed or cancelled, 1 failed, 2 usage or config error.
`;

const fmtTime = (s: number): string => {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
};

/** One human line per event (null: nothing to print). */
export function formatEvent(e: TrainEvent): string | null {
  switch (e.event) {
    case 'start': {
      const lines = [`run ${e.run_dir}${e.resumed_from !== undefined ? ` (resumed from step ${e.resumed_from})` : ''}`, `model ${e.model}: ${e.trainable_parameters.toLocaleString('en-US')} trainable LoRA parameters, ${e.total_steps} steps`];
      for (const [k, r] of Object.entries(e.datasets)) {
        if (!r) continue;
        lines.push(`${k} ${r.file}: ${r.examples}/${r.records} records (${r.format}), ${r.tokens} tokens, ${r.trainableTokens} trained; truncated ${r.truncated}, dropped ${r.dropped}, no trainable tokens ${r.noTrainable.length}${r.noTrainable.length ? ` (lines ${r.noTrainable.slice(0, 10).join(', ')}${r.noTrainable.length > 10 ? ', …' : ''})` : ''}, invalid ${r.invalid.length}`);
        for (const i of r.invalid.slice(0, 5)) lines.push(`  ${r.file}:${i.line}: ${i.reason}`);
      }
      for (const w of e.warnings) lines.push(`warning: ${w}`);
      return lines.join('\n');
    }
    case 'step': {
      const w = 24;
      const filled = Math.round((e.step / e.total_steps) * w);
      return `[${'#'.repeat(filled)}${'.'.repeat(w - filled)}] step ${e.step}/${e.total_steps} loss ${e.loss.toFixed(4)}${e['rewards/accuracies'] !== undefined ? ` acc ${e['rewards/accuracies'].toFixed(2)} margin ${(e['rewards/margins'] ?? 0).toFixed(3)}` : ''} lr ${e.lr.toExponential(2)} |g| ${e.grad_norm.toFixed(3)} ${Math.round(e.tokens_per_s)} tok/s ETA ${fmtTime(e.eta_s)}`;
    }
    case 'eval':
      return `eval at step ${e.step}: loss ${e.eval_loss.toFixed(4)}${e['eval_rewards/accuracies'] !== undefined ? ` reward accuracy ${e['eval_rewards/accuracies'].toFixed(2)}` : ''} (${e.tokens} tokens)`;
    case 'checkpoint':
      return `checkpoint ${e.path}`;
    case 'done':
      return `${e.status}${e.error ? `: ${e.error}` : ''} at step ${e.step}; run ${e.run_dir}${e.adapter ? `\nadapter ${e.adapter}` : ''}`;
  }
}

export async function runTrain(args: string[], io: TrainIo): Promise<number> {
  let json = false;
  let resume: string | undefined;
  let threads: number | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') json = true;
    else if (a === '--resume' || a.startsWith('--resume=')) resume = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
    else if (a === '--threads' || a.startsWith('--threads=')) threads = Number(a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i]);
    else if (a === '--help' || a === '-h') {
      io.out(trainUsage);
      return 0;
    } else if (a.startsWith('-')) {
      io.err(`llmops train: unknown option ${a}\n\n${trainUsage}`);
      return 2;
    } else rest.push(a);
  }
  if (resume === '' || (args.includes('--resume') && resume === undefined)) {
    io.err(`llmops train: --resume needs a run folder\n`);
    return 2;
  }
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) {
    io.err(`llmops train: --threads must be a positive whole number\n`);
    return 2;
  }
  if (resume ? rest.length > 1 : rest.length !== 1) {
    io.err(`llmops train: give one config file${resume ? ' (or only --resume <run>)' : ''}\n\n${trainUsage}`);
    return 2;
  }
  let config: TrainConfig | undefined;
  let configPath = rest[0] ? path.resolve(io.cwd, rest[0]) : '';
  if (!resume) {
    let text: string;
    try {
      text = await fs.readFile(configPath, 'utf8');
    } catch (e) {
      io.err(`llmops train: ${rest[0]}: ${(e as Error).message}\n`);
      return 2;
    }
    const rel = path.relative(io.cwd, configPath) || configPath;
    const parsed = parseTrainConfig(text, rel);
    for (const p of parsed.problems) io.err(`${rel}:${p.line + 1}:${p.column + 1}: ${p.severity} ${p.message}\n`);
    if (!parsed.config) return 2;
    config = parsed.config;
  } else configPath = configPath || path.join(path.resolve(io.cwd, resume), 'run.json');

  // Lazy: onnxruntime-node loads only when training.
  const { train, TrainSetupError } = await import('./train/trainer');
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    if (signals > 1) process.exit(130);
    if (!json) io.err(`\n${sig}: saving a checkpoint after this step (again to quit now)\n`);
    controller.abort();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  let inPlace = false;
  const onEvent = (e: TrainEvent) => {
    if (json) {
      io.out(JSON.stringify(e) + '\n');
      return;
    }
    const line = formatEvent(e);
    if (line === null) return;
    if (e.event === 'step' && io.tty) {
      io.out(`\r${line}\x1b[K`);
      inPlace = true;
      if (e.step === e.total_steps) {
        io.out('\n');
        inPlace = false;
      }
      return;
    }
    if (inPlace) io.out('\n');
    inPlace = false;
    io.out(line + '\n');
  };
  try {
    const r = await train({ config: config as TrainConfig, configPath, resume: resume ? path.resolve(io.cwd, resume) : undefined, onEvent, signal: controller.signal, threads });
    return r.status === 'failed' ? 1 : 0;
  } catch (e) {
    if (e instanceof TrainSetupError) {
      io.err(`llmops train: ${e.message}\n`);
      return 2;
    }
    throw e;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
