/**
 * SFT and DPO with LoRA on the built-in engine: the training loop, the run folder and resume.
 *
 * Run folder `<output_dir>/<run-id>/`:
 *   run.json        config snapshot, dataset SHA-256s, git commit, engine, status, pid, start/end, heartbeat
 *   metrics.jsonl   one object per optimizer step (+ eval_loss at eval steps)
 *   checkpoints/step-N/  adapter (PEFT), optimizer.safetensors (AdamW moments), state.json (step, data position)
 *   adapter/        the final adapter (PEFT)
 * Every file is written to a temporary name and renamed; a checkpoint is built in a temporary
 * folder and renamed into place, so a failed save (disk full) leaves the previous one the latest.
 *
 * Determinism: the data order of epoch e is a Fisher–Yates shuffle seeded by (seed, e), the adapter
 * initialisation is seeded, and AdamW's state is saved, so a resumed run repeats the steps an
 * uninterrupted run takes (same losses, same adapter, bit for bit on the same machine).
 *
 * DPO (method: dpo): a micro-batch of P pairs is one forward of 2P sequences; the reference
 * log-probabilities come from a forward-only run of the same graph on the same batch with the
 * adapters disabled (lora_scale 0) just before the policy's forward/backward, so they are
 * deterministic, need no cache to checkpoint, and carry no gradient. batch_size counts pairs.
 */
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { learningRate, totalSteps, type TrainConfig } from '../../core/train/config';
import { NonFiniteError } from '../engine/errors';
import { AdamW, accumulate, clipGradNorm } from '../engine/optimizer';
import { compile, type HostTensor } from '../engine/program';
import { readHfConfig, type DecoderConfig } from '../models/hfConfig';
import { readPeftAdapter, writePeftAdapter, type LoraAdapterConfig } from '../models/peft';
import { subSeed, uniform } from '../models/random';
import { SafetensorsFile, SafetensorsModel, writeFileAtomic, writeSafetensors } from '../models/safetensors';
import { Encoder, loadChatTokenizer, loadSftDataset, makeBatch, type Batch, type DataReport, type Example } from './data';
import { addDpoHead, dpoFeeds, DpoStats, type DpoHead } from './dpo';
import { adapterWeights, buildLlama, loraDropoutFeeds, loraScale, ropeCosSin, type LlamaGraph } from './llamaModel';
import { loadPreferenceDataset, makePreferenceBatch, type PreferenceBatch, type PreferencePair } from './preferenceData';

export type RunStatus = 'running' | 'completed' | 'cancelled' | 'failed';

/** Setup problems (missing model, bad dataset, unsupported method): the CLI exits 2 on these. */
export class TrainSetupError extends Error {
  override name = 'TrainSetupError';
}

export interface StepMetrics {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  grad_norm: number;
  tokens: number;
  tokens_per_s: number;
  eval_loss?: number;
  /** DPO: means over the step's pairs of β·(log πθ − log πref) of the chosen and rejected completions, their difference, and the share of pairs whose chosen reward is higher. */
  'rewards/chosen'?: number;
  'rewards/rejected'?: number;
  'rewards/margins'?: number;
  'rewards/accuracies'?: number;
}

/** DPO eval metrics (eval_loss is the mean DPO loss over the eval pairs). */
export interface DpoEvalMetrics {
  'eval_rewards/chosen'?: number;
  'eval_rewards/rejected'?: number;
  'eval_rewards/margins'?: number;
  'eval_rewards/accuracies'?: number;
}

export type TrainEvent =
  | { event: 'start'; run: string; run_dir: string; total_steps: number; resumed_from?: number; model: string; datasets: { train: DataReport; eval?: DataReport }; trainable_parameters: number; warnings: string[] }
  | ({ event: 'step'; total_steps: number; elapsed_s: number; eta_s: number } & StepMetrics)
  | ({ event: 'eval'; step: number; eval_loss: number; tokens: number } & DpoEvalMetrics)
  | { event: 'checkpoint'; step: number; path: string }
  | { event: 'done'; status: RunStatus; run: string; run_dir: string; step: number; error?: string; adapter?: string };

export interface TrainOptions {
  config: TrainConfig;
  /** The config file: relative paths in it resolve against its folder. */
  configPath: string;
  /** Continue this run folder (its config snapshot is used; `config` is ignored). */
  resume?: string;
  /** Run id (default: a timestamp). */
  runId?: string;
  onEvent?: (e: TrainEvent) => void;
  /** Aborting saves a checkpoint after the current step and ends the run as cancelled. */
  signal?: AbortSignal;
  /** ORT intra-op threads (default: all cores). */
  threads?: number;
  /** Stop after this optimizer step as if cancelled (tests of resume). */
  stopAfter?: number;
}

export interface TrainResult {
  status: RunStatus;
  runDir: string;
  step: number;
  error?: string;
  losses: number[];
}

interface CheckpointState {
  step: number;
  /** Data position: next micro-batch is order(epoch)[cursor…]. */
  epoch: number;
  cursor: number;
  adamStep: number;
  seed: number;
}

const now = (): string => new Date().toISOString();

/** Reads the commit of the git checkout holding `dir` (no git process). */
export function gitCommit(dir: string): string | null {
  let d = path.resolve(dir);
  for (;;) {
    try {
      const git = path.join(d, '.git');
      const head = readFileSync(path.join(git, 'HEAD'), 'utf8').trim();
      if (/^[0-9a-f]{40}$/.test(head)) return head;
      const ref = /^ref: (.+)$/.exec(head)?.[1];
      if (!ref) return null;
      try {
        return readFileSync(path.join(git, ref), 'utf8').trim();
      } catch {
        const packed = readFileSync(path.join(git, 'packed-refs'), 'utf8');
        return packed.split('\n').find((l) => l.endsWith(` ${ref}`))?.split(' ')[0] ?? null;
      }
    } catch {
      const up = path.dirname(d);
      if (up === d) return null;
      d = up;
    }
  }
}

/** Example order of an epoch: a seeded Fisher–Yates shuffle. */
export function epochOrder(n: number, seed: number, epoch: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const rand = uniform(subSeed(seed, 1000003 + epoch));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function runIdNow(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}-${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')}`;
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/** step-N folders with a complete state.json, newest first. */
export async function listCheckpoints(runDir: string): Promise<{ step: number; dir: string }[]> {
  const root = path.join(runDir, 'checkpoints');
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return [];
  }
  const out: { step: number; dir: string }[] = [];
  for (const n of names) {
    const m = /^step-(\d+)$/.exec(n);
    if (m && (await exists(path.join(root, n, 'state.json')))) out.push({ step: Number(m[1]), dir: path.join(root, n) });
  }
  return out.sort((a, b) => b.step - a.step);
}

/** Runs (or resumes) an SFT or DPO run. Never throws for training failures (status failed); throws TrainSetupError for setup problems. */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  let config = opts.config;
  let configDir = path.dirname(path.resolve(opts.configPath));
  let runDir: string;
  let runJson: Record<string, unknown>;
  let resumeFrom: { step: number; dir: string } | undefined;
  if (opts.resume) {
    runDir = path.resolve(opts.resume);
    try {
      runJson = JSON.parse(await fs.readFile(path.join(runDir, 'run.json'), 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new TrainSetupError(`${runDir}: not a run folder (${(e as Error).message})`);
    }
    config = runJson.config as TrainConfig;
    configDir = String(runJson.config_dir ?? configDir);
    [resumeFrom] = await listCheckpoints(runDir);
    if (!resumeFrom) throw new TrainSetupError(`${runDir}: no checkpoint to resume from (checkpoints/step-N/state.json)`);
  } else {
    runDir = path.resolve(configDir, config.output_dir, opts.runId ?? runIdNow());
    if (await exists(path.join(runDir, 'run.json'))) throw new TrainSetupError(`${runDir} already holds a run: pass --resume ${runDir} to continue it`);
    runJson = {};
  }
  const t = config.training;

  // Model, tokenizer and data.
  const modelDir = path.resolve(configDir, config.base_model);
  if (!(await exists(path.join(modelDir, 'config.json'))))
    throw new TrainSetupError(`base_model ${config.base_model}: no config.json in ${modelDir}. The built-in engine trains a local Hugging Face folder (config.json, model.safetensors, tokenizer.json); download it first, e.g. huggingface-cli download ${config.base_model} --local-dir <folder>`);
  let cfg: DecoderConfig;
  let weights: SafetensorsModel;
  try {
    cfg = await readHfConfig(modelDir);
    weights = await SafetensorsModel.open(modelDir);
  } catch (e) {
    throw new TrainSetupError((e as Error).message);
  }
  const dpo = config.method === 'dpo';
  const beta = config.dpo?.beta ?? 0.1;
  let model: LlamaGraph;
  let head: DpoHead | undefined;
  // Examples (SFT) or preference pairs (DPO).
  let trainEx: (Example | PreferencePair)[];
  let evalEx: (Example | PreferencePair)[] = [];
  let reports: { train: DataReport; eval?: DataReport };
  try {
    const enc = new Encoder(await loadChatTokenizer(modelDir));
    const dataOpts = { maxSeqLen: t.max_seq_len, truncation: t.truncation };
    const load = async (file: string) => {
      if (!dpo) return loadSftDataset(file, enc, dataOpts);
      const d = await loadPreferenceDataset(file, enc, dataOpts);
      return { examples: d.pairs, report: d.report };
    };
    const tr = await load(path.resolve(configDir, config.datasets.train));
    reports = { train: tr.report };
    trainEx = tr.examples;
    if (!trainEx.length) throw new TrainSetupError(`${config.datasets.train}: no ${dpo ? 'preference pair' : 'record'} with trainable tokens (${tr.report.records} records; ${tr.report.noTrainable.length} without ${dpo ? 'completion' : 'assistant'} tokens, ${tr.report.invalid.length} invalid, ${tr.report.dropped} dropped as longer than max_seq_len${tr.report.truncated ? `; ${tr.report.truncated} truncated to max_seq_len ${config.training.max_seq_len}, which can cut off every ${dpo ? 'completion' : 'assistant turn'}: raise max_seq_len` : ''})`);
    if (config.datasets.eval) {
      const ev = await load(path.resolve(configDir, config.datasets.eval));
      reports.eval = ev.report;
      evalEx = ev.examples;
    }
    if (cfg.slidingWindow !== null && t.max_seq_len > cfg.slidingWindow) throw new TrainSetupError(`max_seq_len ${t.max_seq_len} exceeds the model's sliding window (${cfg.slidingWindow}); sliding-window attention is not implemented: lower max_seq_len`);
    model = await buildLlama(cfg, weights, { lora: { r: config.adapter.r, alpha: config.adapter.alpha, targetModules: config.adapter.target_modules }, seed: config.training.seed, dropout: config.adapter.dropout > 0 });
    if (dpo) head = addDpoHead(model, beta);
  } catch (e) {
    if (e instanceof TrainSetupError) throw e;
    throw new TrainSetupError((e as Error).message);
  } finally {
    await weights.close();
  }

  const total = totalSteps(t, trainEx.length);
  const params = model.adapters.flatMap((a) => [a.a, a.b]);
  const program = head
    ? compile(model.graph, { loss: head.loss, wrt: params, outputs: { chosen: head.chosenLogp, rejected: head.rejectedLogp }, threads: opts.threads })
    : compile(model.graph, { loss: model.loss, wrt: params, threads: opts.threads });
  // DPO: sequence log-probabilities only (reference with lora_scale 0; evaluation with the adapters).
  const logpProgram = head ? compile(model.graph, { outputs: { chosen: head.chosenLogp, rejected: head.rejectedLogp }, threads: opts.threads }) : undefined;
  const evalProgram = evalEx.length && !head ? compile(model.graph, { loss: model.loss, wrt: [], threads: opts.threads }) : undefined;
  const opt = new AdamW({ lr: t.lr, weightDecay: t.weight_decay });
  const scale = loraScale(model.lora);
  const adapterConfig: LoraAdapterConfig = { r: config.adapter.r, alpha: config.adapter.alpha, dropout: config.adapter.dropout, targetModules: [...config.adapter.target_modules], baseModel: config.base_model };
  const ropeCache = new Map<number, { cos: Float32Array; sin: Float32Array }>();
  const dropout = config.adapter.dropout;
  /**
   * Feeds of one forward. `dropoutSeed`: a training pass (LoRA dropout masks drawn from it); without
   * it (evaluation, the DPO reference) every adapter input is kept.
   */
  const feeds = (b: Batch, lossScale: number, lora = scale, dropoutSeed?: number): Record<string, HostTensor> => {
    let r = ropeCache.get(b.seq);
    if (!r) ropeCache.set(b.seq, (r = ropeCosSin(cfg, b.seq)));
    return {
      ...(dropout > 0 ? loraDropoutFeeds(model.adapters, b.batch, b.seq, dropout, dropoutSeed) : {}),
      input_ids: { data: b.inputIds, shape: [b.batch, b.seq] },
      cos: { data: r.cos, shape: [b.seq, cfg.headDim] },
      sin: { data: r.sin, shape: [b.seq, cfg.headDim] },
      pick: { data: b.pick, shape: [b.pick.length] },
      labels: { data: b.labels, shape: [b.labels.length] },
      weights: { data: b.weights, shape: [b.weights.length] },
      loss_scale: { data: Float32Array.of(lossScale), shape: [] },
      lora_scale: { data: Float32Array.of(lora), shape: [] },
    };
  };
  const logps = async (b: PreferenceBatch, lora: number): Promise<{ chosen: Float32Array; rejected: Float32Array }> => {
    const r = await logpProgram!.run({ ...feeds(b, 1, lora), ...dpoFeeds(b) });
    return { chosen: r.outputs.chosen.data as Float32Array, rejected: r.outputs.rejected.data as Float32Array };
  };

  // State (fresh or from the checkpoint).
  let step = 0;
  let epoch = 0;
  let cursor = 0;
  await fs.mkdir(path.join(runDir, 'checkpoints'), { recursive: true });
  const metricsFile = path.join(runDir, 'metrics.jsonl');
  const losses: number[] = [];
  if (resumeFrom) {
    const st = JSON.parse(await fs.readFile(path.join(resumeFrom.dir, 'state.json'), 'utf8')) as CheckpointState;
    const ad = await readPeftAdapter(path.join(resumeFrom.dir, 'adapter'), cfg);
    const byModule = new Map(ad.weights.map((w) => [w.module, w]));
    for (const a of model.adapters) {
      const w = byModule.get(a.module);
      if (!w) throw new TrainSetupError(`${resumeFrom.dir}: the checkpoint has no adapter for ${a.module}`);
      (a.a.data as Float32Array).set(w.a);
      (a.b.data as Float32Array).set(w.b);
    }
    const f = await SafetensorsFile.open(path.join(resumeFrom.dir, 'optimizer.safetensors'));
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const p of params) {
      m[p.name] = await f.read(`m/${p.name}`);
      v[p.name] = await f.read(`v/${p.name}`);
    }
    await f.close();
    opt.load({ step: st.adamStep, m, v });
    ({ step, epoch, cursor } = st);
    // Metrics past the checkpoint are replaced by the resumed steps.
    const lines = (await fs.readFile(metricsFile, 'utf8').catch(() => '')).split('\n').filter((l) => l.trim());
    const kept = lines.filter((l) => (JSON.parse(l) as StepMetrics).step <= step);
    for (const l of kept) {
      const mm = JSON.parse(l) as StepMetrics;
      if (mm.loss !== undefined) losses.push(mm.loss);
    }
    await writeFileAtomic(metricsFile, kept.map((l) => l + '\n').join(''));
  }

  const warnings: string[] = [];
  for (const [which, r] of Object.entries(reports) as [string, DataReport | undefined][]) {
    if (!r) continue;
    const name = path.basename(r.file);
    const n = r.toolCallTurnsUntrained ?? 0;
    if (n)
      warnings.push(`${which} ${name}: the chat template of ${config.base_model} does not render tool calls, so ${n === 1 ? '1 assistant turn that calls tools would train as an empty reply: it carries' : `${n} assistant turns that call tools would train as empty replies: they carry`} no loss. Use a base model whose template supports tools (e.g. Llama 3.1+, Qwen2.5, Qwen3) to train tool calling`);
    const k = r.toolsNotRendered ?? 0;
    if (k) warnings.push(`${which} ${name}: the chat template of ${config.base_model} does not render tool declarations; ${k === 1 ? '1 record trains without its' : `${k} records train without their`} \`tools\``);
  }
  const startedAt = (runJson.started_at as string | undefined) ?? now();
  runJson = {
    id: path.basename(runDir),
    engine: 'builtin',
    method: config.method,
    status: 'running' as RunStatus,
    pid: process.pid,
    started_at: startedAt,
    ...(resumeFrom ? { resumed_at: now(), resumed_from_step: resumeFrom.step } : {}),
    heartbeat_at: now(),
    ended_at: null,
    step,
    total_steps: total,
    config,
    config_path: path.resolve(opts.configPath),
    config_dir: configDir,
    base_model: modelDir,
    datasets: Object.fromEntries(Object.entries(reports).map(([k, r]) => [k, { path: r.file, sha256: r.sha256, records: r.records, examples: r.examples, truncated: r.truncated, dropped: r.dropped, no_trainable: r.noTrainable.length, invalid: r.invalid.length, tokens: r.tokens, trainable_tokens: r.trainableTokens }])),
    git_commit: gitCommit(configDir),
  };
  const writeRun = (patch: Record<string, unknown> = {}) => {
    Object.assign(runJson, patch, { heartbeat_at: now() });
    return writeFileAtomic(path.join(runDir, 'run.json'), JSON.stringify(runJson, null, 2) + '\n');
  };
  await writeRun();
  const emit = (e: TrainEvent) => opts.onEvent?.(e);
  emit({ event: 'start', run: path.basename(runDir), run_dir: runDir, total_steps: total, ...(resumeFrom ? { resumed_from: resumeFrom.step } : {}), model: modelDir, datasets: reports, trainable_parameters: params.reduce((n, p) => n + (p.data as Float32Array).length, 0), warnings });

  let order = epochOrder(trainEx.length, t.seed, epoch);
  const nextMicro = (): (Example | PreferencePair)[] => {
    if (cursor >= trainEx.length) {
      epoch++;
      cursor = 0;
      order = epochOrder(trainEx.length, t.seed, epoch);
    }
    const ids = order.slice(cursor, cursor + t.batch_size);
    cursor += ids.length;
    return ids.map((i) => trainEx[i]);
  };

  let lastSaved = resumeFrom?.step ?? -1;
  const saveCheckpoint = async (): Promise<void> => {
    if (lastSaved === step) return;
    const root = path.join(runDir, 'checkpoints');
    const final = path.join(root, `step-${step}`);
    const tmp = path.join(root, `.tmp-step-${step}-${process.pid}`);
    await fs.rm(tmp, { recursive: true, force: true });
    try {
      await writePeftAdapter(path.join(tmp, 'adapter'), adapterConfig, adapterWeights(model.adapters));
      const s = opt.state();
      await writeSafetensors(path.join(tmp, 'optimizer.safetensors'), [
        ...params.map((p) => ({ name: `m/${p.name}`, shape: p.shape as number[], data: (s.m[p.name] ?? new Float32Array((p.data as Float32Array).length)) as Float32Array })),
        ...params.map((p) => ({ name: `v/${p.name}`, shape: p.shape as number[], data: (s.v[p.name] ?? new Float32Array((p.data as Float32Array).length)) as Float32Array })),
      ]);
      const state: CheckpointState = { step, epoch, cursor, adamStep: s.step, seed: t.seed };
      await writeFileAtomic(path.join(tmp, 'state.json'), JSON.stringify(state, null, 2) + '\n');
      await fs.rm(final, { recursive: true, force: true });
      await fs.rename(tmp, final);
    } catch (e) {
      await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOSPC' ? 'the disk is full' : code === 'EDQUOT' ? 'the disk quota is used up' : 'it could not be written';
      const prev = (await listCheckpoints(runDir).catch(() => []))[0];
      const keep = prev ? `the checkpoint of step ${prev.step} stays the latest valid one: free some space and continue with --resume ${runDir}` : 'no earlier checkpoint exists';
      throw new Error(`saving the checkpoint of step ${step} failed, ${why} (${(e as Error).message}); ${keep}`, { cause: e });
    }
    lastSaved = step;
    // Keep the three newest checkpoints.
    for (const old of (await listCheckpoints(runDir)).slice(3)) await fs.rm(old.dir, { recursive: true, force: true });
    emit({ event: 'checkpoint', step, path: final });
  };

  const evaluateDpo = async (): Promise<void> => {
    const stats = new DpoStats(beta);
    let tokens = 0;
    for (let i = 0; i < evalEx.length; i += t.batch_size) {
      const b = makePreferenceBatch(evalEx.slice(i, i + t.batch_size) as PreferencePair[], t.max_seq_len);
      const ref = await logps(b, 0);
      stats.add(await logps(b, scale), ref);
      tokens += b.tokens;
    }
    const evalLoss = stats.loss / Math.max(stats.pairs, 1);
    const em = Object.fromEntries(Object.entries(stats.metrics()).map(([k, v]) => [`eval_${k}`, v])) as DpoEvalMetrics;
    await fs.appendFile(metricsFile, JSON.stringify({ step, epoch: epoch + cursor / trainEx.length, eval_loss: evalLoss, ...em, eval_tokens: tokens }) + '\n');
    emit({ event: 'eval', step, eval_loss: evalLoss, tokens, ...em });
  };

  const evaluate = async (): Promise<void> => {
    if (head && evalEx.length) return evaluateDpo();
    if (!evalProgram) return;
    let sum = 0;
    let wsum = 0;
    let tokens = 0;
    for (let i = 0; i < evalEx.length; i += t.batch_size) {
      const b = makeBatch(evalEx.slice(i, i + t.batch_size) as Example[], t.max_seq_len);
      const r = await evalProgram.run(feeds(b, 1));
      sum += r.loss!;
      wsum += b.weightSum;
      tokens += b.tokens;
    }
    const evalLoss = sum / Math.max(wsum, 1e-12);
    await fs.appendFile(metricsFile, JSON.stringify({ step, epoch: epoch + cursor / trainEx.length, eval_loss: evalLoss, eval_tokens: tokens }) + '\n');
    emit({ event: 'eval', step, eval_loss: evalLoss, tokens });
  };

  let status: RunStatus = 'completed';
  let error: string | undefined;
  const t0 = performance.now();
  const startStep = step;
  let lastBeat = 0;
  try {
    while (step < total) {
      if (opts.signal?.aborted) {
        status = 'cancelled';
        break;
      }
      const ts = performance.now();
      const micro: Batch[] = [];
      for (let k = 0; k < t.grad_accum; k++) {
        const items = nextMicro();
        micro.push(head ? makePreferenceBatch(items as PreferencePair[], t.max_seq_len) : makeBatch(items as Example[], t.max_seq_len));
      }
      // The loss is a mean over the step's loss tokens (SFT, weighted) or pairs (DPO).
      const denom = head ? micro.reduce((n, b) => n + (b as PreferenceBatch).pairs, 0) : micro.reduce((n, b) => n + b.weightSum, 0);
      const stats = head ? new DpoStats(beta) : undefined;
      const grads = new Map<string, Float32Array | Float64Array>();
      let loss = 0;
      let tokens = 0;
      for (let k = 0; k < micro.length; k++) {
        const b = micro[k];
        // LoRA dropout masks of this micro-batch: a function of the seed, the step and k only, so a resumed run draws the same.
        const dropoutSeed = subSeed(subSeed(t.seed, 0x0d70), step * t.grad_accum + k);
        let r;
        try {
          if (head) {
            const pb = b as PreferenceBatch;
            const ref = await logps(pb, 0);
            r = await program.run({ ...feeds(pb, 1 / denom, scale, dropoutSeed), ...dpoFeeds(pb, ref) });
            stats!.add({ chosen: r.outputs.chosen.data as Float32Array, rejected: r.outputs.rejected.data as Float32Array }, ref);
          } else r = await program.run(feeds(b, 1 / denom, scale, dropoutSeed));
        } catch (e) {
          if (e instanceof NonFiniteError) throw new Error(`loss or gradients are not finite at step ${step + 1} (${e.message}); the last good checkpoint is kept`, { cause: e });
          throw e;
        }
        loss += r.loss!;
        tokens += b.tokens;
        accumulate(grads, r.grads);
      }
      const gradNorm = t.max_grad_norm > 0 ? clipGradNorm(grads.values(), t.max_grad_norm) : clipGradNorm(grads.values(), Infinity);
      const lr = learningRate(t, step, total);
      opt.step(
        params.map((p) => [p.name, p.data as Float32Array] as const),
        grads,
        lr,
      );
      step++;
      losses.push(loss);
      const dt = (performance.now() - ts) / 1000;
      const m: StepMetrics = { step, epoch: epoch + cursor / trainEx.length, loss, lr, grad_norm: gradNorm, tokens, tokens_per_s: tokens / dt, ...stats?.metrics() };
      await fs.appendFile(metricsFile, JSON.stringify(m) + '\n');
      const elapsed = (performance.now() - t0) / 1000;
      emit({ event: 'step', ...m, total_steps: total, elapsed_s: elapsed, eta_s: (elapsed / (step - startStep)) * (total - step) });
      if (performance.now() - lastBeat > 2000) {
        lastBeat = performance.now();
        await writeRun({ step });
      }
      if (t.eval_every && step % t.eval_every === 0 && step < total) await evaluate();
      if (t.save_every && step % t.save_every === 0) await saveCheckpoint();
      if (opts.stopAfter !== undefined && step >= opts.stopAfter && step < total) {
        status = 'cancelled';
        break;
      }
    }
    if (status === 'completed') await evaluate();
    await saveCheckpoint();
    await writePeftAdapter(path.join(runDir, 'adapter'), adapterConfig, adapterWeights(model.adapters));
  } catch (e) {
    status = 'failed';
    error = (e as Error).message;
  } finally {
    await program.dispose();
    await evalProgram?.dispose();
    await logpProgram?.dispose();
  }
  try {
    await writeRun({ status, step, ended_at: now(), ...(error ? { error } : {}) });
  } catch (e) {
    // A full disk can refuse run.json too: say so rather than crash; the checkpoints are intact.
    error = `${error ? `${error}; ` : ''}run.json could not be updated (${(e as Error).message})`;
  }
  emit({ event: 'done', status, run: path.basename(runDir), run_dir: runDir, step, ...(error ? { error } : {}), ...(status !== 'failed' ? { adapter: path.join(runDir, 'adapter') } : {}) });
  return { status, runDir, step, error, losses };
}
