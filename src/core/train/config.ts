/**
 * Training configs (`*.train.yaml`): the zod schema (schemas/train.schema.json is generated from
 * it) and a parser that reports each problem at the YAML range of the offending key or value.
 */
import { z } from 'zod';
import { rangeOf, reportSchemaIssues, yamlProblems, type ManifestProblem } from '../project/manifest';

/** Linear layers of a Llama-family decoder block that LoRA can adapt (PEFT's module names). */
export const loraTargetModules = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraTargetModule = (typeof loraTargetModules)[number];

export const trainMethods = ['sft', 'dpo'] as const;
export const schedulers = ['cosine', 'linear', 'constant'] as const;

const int = (what: string) => z.number({ error: (i) => (i.input === undefined ? undefined : `${what} must be a number`) }).int(`${what} must be a whole number`);
const posInt = (what: string) => int(what).positive(`${what} must be greater than 0`);

const adapterSchema = z
  .strictObject({
    type: z
      .literal('lora', { error: (i) => (i.input === 'full' ? 'Full fine-tuning is not supported by the built-in engine yet: use type: lora' : 'Expected "lora"') })
      .default('lora')
      .describe('Adapter kind; the built-in engine trains LoRA adapters'),
    r: posInt('r').max(1024, 'r must be at most 1024').default(8).describe('LoRA rank: the inner dimension of the low-rank update'),
    alpha: z.number().positive('alpha must be greater than 0').default(16).describe('LoRA alpha: the update is scaled by alpha / r'),
    dropout: z.number().min(0, 'dropout must be at least 0').max(0.9, 'dropout must be below 1 (at most 0.9)').default(0.05).describe('Dropout on the LoRA input during training (0 disables it)'),
    target_modules: z
      .array(z.enum(loraTargetModules, { error: (i) => `Unknown module ${JSON.stringify(i.input)}: expected one of ${loraTargetModules.join(', ')}` }))
      .min(1, 'Name at least one module to adapt')
      .refine((a) => new Set(a).size === a.length, 'A module is listed twice')
      .default(['q_proj', 'k_proj', 'v_proj', 'o_proj'])
      .describe('Linear layers that get a LoRA adapter in every decoder block (PEFT module names)'),
  })
  .describe('The adapter to train');

const trainingSchema = z
  .strictObject({
    epochs: posInt('epochs').optional().describe('Passes over the training set (give epochs or max_steps, not both)'),
    max_steps: posInt('max_steps').optional().describe('Optimizer steps to run (give epochs or max_steps, not both)'),
    batch_size: posInt('batch_size').default(4).describe('Sequences per forward/backward pass'),
    grad_accum: posInt('grad_accum').default(1).describe('Passes whose gradients are summed before each optimizer step (effective batch = batch_size × grad_accum)'),
    lr: z.number().positive('lr must be greater than 0').max(1, 'lr must be at most 1').default(2e-4).describe('Peak learning rate of AdamW'),
    scheduler: z.enum(schedulers).default('cosine').describe('Learning-rate schedule after warmup: cosine or linear decay to 0, or constant'),
    warmup_ratio: z.number().min(0, 'warmup_ratio must be between 0 and 1').max(1, 'warmup_ratio must be between 0 and 1').default(0.03).describe('Share of the steps spent warming the learning rate up linearly from 0'),
    weight_decay: z.number().min(0, 'weight_decay must be at least 0').default(0).describe('AdamW decoupled weight decay'),
    max_grad_norm: z.number().min(0, 'max_grad_norm must be at least 0').default(1).describe('Clip the global gradient norm to this (0 disables clipping)'),
    max_seq_len: posInt('max_seq_len').min(8, 'max_seq_len must be at least 8').default(1024).describe('Longest training sequence in tokens; longer records are truncated or dropped (see truncation)'),
    truncation: z
      .enum(['truncate', 'drop'])
      .default('truncate')
      .describe('What happens to records longer than max_seq_len: truncate them (keep the first max_seq_len tokens) or drop them; the count is reported at start'),
    seed: int('seed').min(0, 'seed must be at least 0').max(0xffffffff, 'seed must fit in 32 bits').default(42).describe('Seed of data order, dropout and adapter initialisation: the same seed gives the same run'),
    eval_every: posInt('eval_every').optional().describe('Evaluate on datasets.eval every this many optimizer steps (absent: at the end only)'),
    save_every: posInt('save_every').optional().describe('Save a checkpoint every this many optimizer steps (absent: at the end, and when cancelled)'),
  })
  .superRefine((t, ctx) => {
    if (t.epochs !== undefined && t.max_steps !== undefined) ctx.addIssue({ code: 'custom', path: ['max_steps'], message: 'Give epochs or max_steps, not both' });
    else if (t.epochs === undefined && t.max_steps === undefined) ctx.addIssue({ code: 'custom', path: [], message: 'Give the length of training: epochs (passes over the data) or max_steps' });
  })
  .describe('Optimisation hyper-parameters');

/** A `*.train.yaml` training config, as written (before defaults). */
export const trainConfigSchema = z
  .strictObject({
    base_model: z.string().min(1, 'Name the base model: a local Hugging Face folder or a hub id').describe('Base model: a local Hugging Face folder (config.json, safetensors, tokenizer) relative to this file, or a hub id'),
    datasets: z
      .strictObject({
        train: z.string().min(1, 'Name the training set').describe('Training set (JSONL), relative to this file'),
        eval: z.string().min(1, 'Name the evaluation set').optional().describe('Evaluation set (JSONL), relative to this file'),
      })
      .describe('Dataset files'),
    method: z.enum(trainMethods).default('sft').describe('sft: supervised fine-tuning on chat or prompt/completion records; dpo: direct preference optimisation on preference pairs'),
    adapter: adapterSchema.prefault({}),
    training: trainingSchema,
    dpo: z
      .strictObject({
        beta: z.number().positive('beta must be greater than 0').default(0.1).describe('DPO temperature: how far the policy may move from the reference model'),
      })
      .optional()
      .describe('DPO options (method: dpo only)'),
    engine: z
      .literal('builtin', {
        error: (i) =>
          i.input === 'python'
            ? 'The python engine (torch + transformers + peft) is not available yet: use engine: builtin'
            : `Unknown engine ${JSON.stringify(i.input)}: expected "builtin"`,
      })
      .default('builtin')
      .describe('Training engine: builtin (ONNX Runtime, nothing to install)'),
    output_dir: z.string().min(1).default('.llmops/runs').describe('Folder of run folders (<output_dir>/<run-id>/), relative to this file'),
  })
  .superRefine((c, ctx) => {
    if (c.dpo !== undefined && c.method !== 'dpo') ctx.addIssue({ code: 'custom', path: ['dpo'], message: 'dpo options are only used with method: dpo' });
  })
  .transform((c) => (c.method === 'dpo' && !c.dpo ? { ...c, dpo: { beta: 0.1 } } : c))
  .meta({ title: 'LLMOps Workbench training config (*.train.yaml)' });

/** A validated training config with every default filled (`dpo` is present exactly when method is dpo). */
export type TrainConfig = z.output<typeof trainConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

/** One problem in a training config, 0-based positions (UTF-16 columns, as LSP counts them). */
export type TrainConfigProblem = ManifestProblem;

export interface ParsedTrainConfig {
  /** Present when there is no error. */
  config?: TrainConfig;
  problems: TrainConfigProblem[];
}

/** Parses and validates the text of a training config; `path` names the file in messages. Never throws. */
export function parseTrainConfig(text: string, path: string): ParsedTrainConfig {
  const { problems, at, parse } = yamlProblems(text);
  try {
    const doc = parse();
    if (doc.errors.length) return { problems };
    if (doc.contents === null) {
      at(0, 0, `${path} is empty: a training config needs at least base_model, datasets.train and training.epochs (or max_steps)`);
      return { problems };
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    const r = trainConfigSchema.safeParse(value);
    if (!r.success) {
      reportSchemaIssues(doc, r.error.issues, value, at);
      return { problems };
    }
    const c = r.data;
    if (c.training.eval_every !== undefined && c.datasets.eval === undefined) {
      const [start, end] = rangeOf(doc, ['training', 'eval_every'], true);
      at(start, end, 'eval_every has no effect without datasets.eval', 'warning', ['training', 'eval_every']);
    }
    return { config: c, problems };
  } catch (err) {
    at(0, 0, `Could not read ${path}: ${err instanceof Error ? err.message : String(err)}`);
    return { problems };
  }
}

/** Optimizer steps of a run: max_steps, or epochs × ceil(examples / (batch_size × grad_accum)). */
export function totalSteps(t: TrainConfig['training'], examples: number): number {
  if (t.max_steps !== undefined) return t.max_steps;
  const perEpoch = Math.ceil(examples / (t.batch_size * t.grad_accum));
  return (t.epochs ?? 1) * Math.max(1, perEpoch);
}

/**
 * Learning rate at optimizer step `step` (0-based) of `total`: linear warmup over
 * ceil(warmup_ratio × total) steps, then the schedule, as transformers' get_*_schedule_with_warmup.
 */
export function learningRate(t: TrainConfig['training'], step: number, total: number): number {
  const warmup = Math.ceil(t.warmup_ratio * total);
  if (step < warmup) return (t.lr * step) / Math.max(1, warmup);
  if (t.scheduler === 'constant') return t.lr;
  const progress = (step - warmup) / Math.max(1, total - warmup);
  if (t.scheduler === 'linear') return t.lr * Math.max(0, 1 - progress);
  return t.lr * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}
