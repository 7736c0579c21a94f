/**
 * Price catalog: hosted inference prices from the LiteLLM/tokencost snapshot (passed in parsed, so this
 * stays pure), hosted fine-tuning prices and GPUs from our own tables, and the project's `prices:`
 * overrides on top. Every price carries its source so the UI can say where a number came from.
 */
import type { z } from 'zod';
import { issueProblems } from '../dataset/schemas';
import { manifestSchema } from '../project/manifest';
import { gpuTable } from './gpus';
import { trainingPrices } from './trainingPrices';

export interface InferencePrice {
  /** The catalog key, e.g. "gpt-4o" or "ft:gpt-4o-mini-2024-07-18". */
  model: string;
  provider?: string;
  inputPerToken: number;
  outputPerToken: number;
  maxInputTokens?: number;
  maxOutputTokens?: number;
  /** LiteLLM mode: chat, completion, embedding, … */
  mode?: string;
  source: string;
  overridden?: boolean;
}

export interface TrainingPrice {
  model: string;
  provider: string;
  perMillionTokens?: number;
  perHour?: number;
  /** Longest training example in tokens; longer ones are clipped (and billed up to this). */
  contextLimit?: number;
  /** Size tiers (providers that price by parameter count): applies to minParams < params ≤ maxParams. */
  minParams?: number;
  maxParams?: number;
  /** Fine-tuned inference price, USD per 1M tokens, where the LiteLLM catalog has no `ft:` row. */
  fineTunedInputPerMillion?: number;
  fineTunedOutputPerMillion?: number;
  note?: string;
  source: string;
  date: string;
  overridden?: boolean;
}

export interface GpuSpec {
  name: string;
  memoryGb: number;
  /** Dense BF16 tensor peak (FP16 where the GPU has no BF16; see `note`). */
  peakBf16Tflops: number;
  hourlyUsd: number;
  /** Other names `gpu()` accepts. */
  aliases?: string[];
  note?: string;
  source: string;
  date: string;
  overridden?: boolean;
}

export interface CatalogSnapshot {
  source: string;
  date: string;
  license: string;
}

/** A problem in `prices:`; `path` is relative to `prices:` (first element: the entry's key). */
export interface PriceProblem {
  key: string;
  path: (string | number)[];
  message: string;
}

/** The snapshot shipped as data/model_prices.json (see data/SOURCES.md). */
export const liteLlmSnapshot: CatalogSnapshot = {
  source: 'AgentOps-AI/tokencost model_prices.json @ e7f7c1928084af55bb4955102327982401ed8649 (derived from BerriAI/litellm)',
  date: '2025-09-05',
  license: 'MIT',
};

/** Where an override's values come from, as shown next to the price. */
export const overrideSource = 'llmops.yaml prices';

type PriceOverride = z.infer<typeof overrideEntrySchema>;
const overrideEntrySchema = manifestSchema.shape.prices.unwrap().valueType;

const inferenceFields = ['input_per_million', 'output_per_million'] as const;
const trainingFields = ['training_per_million', 'training_per_hour', 'context_limit'] as const;
const gpuFields = ['gpu_hourly', 'gpu_memory_gb', 'gpu_bf16_tflops'] as const;

export class PriceCatalog {
  private readonly lower = new Map<string, string>();
  /** Unprefixed names ("mistralai/Mistral-7B-…", "gpt-4o") of provider-prefixed keys → the key. */
  private readonly suffix = new Map<string, string>();
  private readonly suffixLower = new Map<string, string>();
  private readonly gpuIndex = new Map<string, number>();

  private constructor(
    readonly snapshot: CatalogSnapshot,
    private readonly rows: Map<string, InferencePrice>,
    private readonly trainingRows: TrainingPrice[],
    private readonly gpuRows: GpuSpec[],
  ) {
    for (const key of rows.keys()) if (!this.lower.has(key.toLowerCase())) this.lower.set(key.toLowerCase(), key);
    // Shortest key first, so "openai/gpt-x" wins over "azure/eu/gpt-x" for "gpt-x".
    const prefixed = [...rows.keys()].filter((k) => k.includes('/')).sort((a, b) => a.length - b.length);
    for (const key of prefixed) {
      for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) {
        const s = key.slice(i + 1);
        if (!s) continue;
        if (!this.suffix.has(s)) this.suffix.set(s, key);
        if (!this.suffixLower.has(s.toLowerCase())) this.suffixLower.set(s.toLowerCase(), key);
      }
    }
    gpuRows.forEach((g, i) => {
      for (const n of [g.name, ...(g.aliases ?? [])]) if (!this.gpuIndex.has(gpuKey(n))) this.gpuIndex.set(gpuKey(n), i);
    });
  }

  /**
   * Reads the LiteLLM/tokencost JSON (USD per token). Rows without a numeric, non-negative input
   * price (image, audio and rerank models priced per image, second or query) are skipped.
   */
  static create(liteLlmJson: unknown, snapshot: CatalogSnapshot): PriceCatalog {
    const rows = new Map<string, InferencePrice>();
    if (isObject(liteLlmJson)) {
      const source = `LiteLLM price snapshot ${snapshot.date}`;
      for (const [key, v] of Object.entries(liteLlmJson)) {
        if (!isObject(v) || !isPrice(v.input_cost_per_token)) continue;
        const out = v.output_cost_per_token;
        if (out !== undefined && !isPrice(out)) continue;
        const row: InferencePrice = { model: key, inputPerToken: v.input_cost_per_token, outputPerToken: out ?? 0, source };
        if (typeof v.litellm_provider === 'string') row.provider = v.litellm_provider;
        if (typeof v.mode === 'string') row.mode = v.mode;
        if (isCount(v.max_input_tokens)) row.maxInputTokens = v.max_input_tokens;
        if (isCount(v.max_output_tokens)) row.maxOutputTokens = v.max_output_tokens;
        rows.set(key, row);
      }
    }
    return new PriceCatalog(snapshot, rows, trainingPrices.slice(), gpuTable.slice());
  }

  /**
   * Inference price: exact key, then without provider prefixes ("openai/gpt-4o" → "gpt-4o"), then a
   * provider-prefixed key by its unprefixed name ("mistralai/Mistral-7B-Instruct-v0.1"), then the same
   * case-insensitively. OpenAI fine-tuned model ids ("ft:gpt-4o-mini-2024-07-18:org:name:id") resolve
   * to the base's `ft:` row.
   */
  inference(model: string): InferencePrice | undefined {
    const q = model.trim();
    const key = this.resolveInference(q);
    if (key) return this.rows.get(key);
    if (/^ft:/i.test(q)) {
      const base = q.split(':')[1] ?? '';
      const ft = this.resolveInference(`ft:${base}`);
      return ft ? this.rows.get(ft) : this.fineTunedInference(base);
    }
    return undefined;
  }

  /**
   * Inference price of a model fine-tuned from `baseModel`: the `ft:` row for its dated snapshot
   * ("gpt-4o-mini" → "ft:gpt-4o-mini-2024-07-18"), or for the name as given, or else the fine-tuned
   * price in the training table (gpt-4.1 family, o4-mini).
   */
  fineTunedInference(baseModel: string): InferencePrice | undefined {
    const base = stripPrefix(baseModel.trim(), 'openai');
    if (/^ft:/i.test(base)) return this.inference(base);
    const t = this.training(base);
    for (const name of [t?.model, base]) {
      if (!name) continue;
      const key = this.resolveExactOrLower(`ft:${name}`);
      if (key) return this.rows.get(key);
    }
    if (t?.fineTunedInputPerMillion !== undefined && t.fineTunedOutputPerMillion !== undefined) {
      const price: InferencePrice = {
        model: `ft:${t.model}`,
        provider: t.provider,
        inputPerToken: t.fineTunedInputPerMillion / 1e6,
        outputPerToken: t.fineTunedOutputPerMillion / 1e6,
        source: t.overridden ? t.source : `${t.source} (${t.date})`,
      };
      const b = this.inference(t.model) ?? this.inference(base);
      if (b?.maxInputTokens !== undefined) price.maxInputTokens = b.maxInputTokens;
      if (b?.maxOutputTokens !== undefined) price.maxOutputTokens = b.maxOutputTokens;
      if (t.overridden) price.overridden = true;
      return price;
    }
    return undefined;
  }

  /** Hosted fine-tuning price: by model id, case-insensitively; an undated name picks its latest dated row. */
  training(model: string): TrainingPrice | undefined {
    const q = stripPrefix(model.trim(), 'openai').toLowerCase();
    const exact = this.trainingRows.find((t) => t.model.toLowerCase() === q);
    if (exact) return exact;
    const dated = new RegExp(`^${escapeRegExp(q)}-(\\d{4}-\\d{2}-\\d{2}|\\d{4})$`);
    return this.trainingRows.filter((t) => dated.test(t.model.toLowerCase())).sort((a, b) => (a.model < b.model ? 1 : -1))[0];
  }

  /** The size tier of a provider that prices fine-tuning by parameter count (together, fireworks). */
  trainingForSize(provider: string, params: number): TrainingPrice | undefined {
    const p = provider.toLowerCase();
    return this.trainingRows.find((t) => t.provider === p && t.maxParams !== undefined && params > (t.minParams ?? 0) && params <= t.maxParams);
  }

  /** A GPU by name or alias, ignoring case, spaces, dashes and a leading "NVIDIA" (see gpus.ts). */
  gpu(name: string): GpuSpec | undefined {
    const i = this.gpuIndex.get(gpuKey(name));
    return i === undefined ? undefined : this.gpuRows[i];
  }

  gpus(): GpuSpec[] {
    return this.gpuRows.slice();
  }

  trainingModels(): TrainingPrice[] {
    return this.trainingRows.slice();
  }

  /** Known names nearest to `name` (edit distance, then shared name tokens), best first. */
  suggest(name: string, kind: 'inference' | 'training' | 'gpu', max = 3): string[] {
    const candidates: Candidate[] = [];
    if (kind === 'inference') {
      for (const key of this.rows.keys()) {
        const short = key.slice(key.lastIndexOf('/') + 1);
        // Offer the short name where it finds a row: that is what people type.
        candidates.push({ name: short !== key && this.resolveInference(short) ? short : key, forms: short !== key ? [key, short] : [key] });
      }
    } else if (kind === 'training') {
      for (const t of this.trainingRows) {
        candidates.push({ name: t.model, forms: [t.model] });
        const undated = t.model.replace(/-(\d{4}-\d{2}-\d{2}|\d{4})$/, '');
        if (undated !== t.model && this.training(undated) === t) candidates.push({ name: undated, forms: [undated] });
      }
    } else {
      for (const g of this.gpuRows) candidates.push({ name: g.name, forms: [g.name, ...(g.aliases ?? [])].map(gpuKey) });
    }
    return nearest(kind === 'gpu' ? gpuKey(name) : name.trim().toLowerCase(), name, candidates, max);
  }

  /**
   * A catalog with the project's `prices:` on top (same shape as the manifest schema, validated again
   * since the caller may pass raw YAML). Invalid values (0, negative, not a number, unknown keys) are
   * reported and ignored; the rest of the entry still applies. An override replaces the row the key
   * resolves to, so "openai/gpt-4o-mini" and "gpt-4o-mini" both see it.
   */
  withOverrides(prices: unknown): { catalog: PriceCatalog; problems: PriceProblem[] } {
    const problems: PriceProblem[] = [];
    if (prices === undefined || prices === null) return { catalog: this, problems };
    if (!isObject(prices)) {
      problems.push({ key: '', path: [], message: 'prices: expected a map from model or GPU names to prices' });
      return { catalog: this, problems };
    }
    const rows = new Map(this.rows);
    const training = this.trainingRows.slice();
    const gpus = this.gpuRows.slice();
    for (const [key, raw] of Object.entries(prices)) {
      const entry = validEntry(key, raw, problems);
      if (!entry) continue;
      const problem = (message: string, field?: string): void => {
        problems.push({ key, path: field ? [key, field] : [key], message });
      };
      const did = (kind: 'inference' | 'training' | 'gpu'): string => {
        const s = this.suggest(key, kind, 3);
        return s.length ? ` (did you mean ${s.join(', ')}?)` : '';
      };

      if (inferenceFields.some((f) => entry[f] !== undefined)) {
        const base = this.inference(key);
        const input = entry.input_per_million !== undefined ? entry.input_per_million / 1e6 : base?.inputPerToken;
        const output = entry.output_per_million !== undefined ? entry.output_per_million / 1e6 : base?.outputPerToken;
        if (input === undefined || output === undefined) {
          problem(`Unknown model "${key}"${did('inference')}: a model not in the catalog needs both input_per_million and output_per_million`);
        } else {
          const row: InferencePrice = { ...base, model: base?.model ?? key, inputPerToken: input, outputPerToken: output, source: overrideSource, overridden: true };
          rows.set(row.model, row);
          if (row.model !== key) rows.set(key, row);
        }
      }

      if (trainingFields.some((f) => entry[f] !== undefined)) {
        const base = this.training(key);
        const perMillion = entry.training_per_million ?? base?.perMillionTokens;
        const perHour = entry.training_per_hour ?? base?.perHour;
        if (perMillion === undefined && perHour === undefined) {
          problem(`No fine-tuning price for "${key}"${did('training')}: add training_per_million or training_per_hour`, entry.context_limit !== undefined ? 'context_limit' : undefined);
        } else {
          const row: TrainingPrice = { ...(base ?? { provider: 'custom' }), model: base?.model ?? key, source: overrideSource, date: overrideSource, overridden: true };
          if (entry.training_per_million !== undefined) row.perMillionTokens = entry.training_per_million;
          if (entry.training_per_hour !== undefined) row.perHour = entry.training_per_hour;
          if (entry.context_limit !== undefined) row.contextLimit = entry.context_limit;
          const i = base ? training.indexOf(base) : -1;
          if (i >= 0) training[i] = row;
          else training.unshift(row);
        }
      }

      if (gpuFields.some((f) => entry[f] !== undefined)) {
        const base = this.gpu(key);
        const hourly = entry.gpu_hourly ?? base?.hourlyUsd;
        const memory = entry.gpu_memory_gb ?? base?.memoryGb;
        const tflops = entry.gpu_bf16_tflops ?? base?.peakBf16Tflops;
        if (hourly === undefined || memory === undefined || tflops === undefined) {
          problem(`Unknown GPU "${key}"${did('gpu')}: a GPU not in the table needs gpu_hourly, gpu_memory_gb and gpu_bf16_tflops`);
        } else {
          const row: GpuSpec = { ...base, name: base?.name ?? key, hourlyUsd: hourly, memoryGb: memory, peakBf16Tflops: tflops, source: overrideSource, date: overrideSource, overridden: true };
          if (base) row.aliases = [...(base.aliases ?? []), key];
          const i = base ? gpus.indexOf(base) : -1;
          if (i >= 0) gpus[i] = row;
          else gpus.push(row);
        }
      }
    }
    return { catalog: new PriceCatalog(this.snapshot, rows, training, gpus), problems };
  }

  private resolveInference(q: string): string | undefined {
    const candidates = [q];
    for (let i = q.indexOf('/'); i >= 0; i = q.indexOf('/', i + 1)) candidates.push(q.slice(i + 1));
    for (const c of candidates) {
      if (this.rows.has(c)) return c;
      const s = this.suffix.get(c);
      if (s) return s;
    }
    for (const c of candidates) {
      const l = c.toLowerCase();
      const k = this.lower.get(l) ?? this.suffixLower.get(l);
      if (k) return k;
    }
    return undefined;
  }

  private resolveExactOrLower(q: string): string | undefined {
    return this.rows.has(q) ? q : this.lower.get(q.toLowerCase());
  }
}

/** Validates one `prices:` entry; invalid fields are reported and dropped. */
function validEntry(key: string, raw: unknown, problems: PriceProblem[]): PriceOverride | undefined {
  const first = overrideEntrySchema.safeParse(raw);
  if (first.success) return first.data;
  for (const p of issueProblems(first.error.issues, raw)) problems.push({ key, path: [key, ...p.path], message: p.message });
  if (!isObject(raw)) return undefined;
  const bad = new Set<string>();
  for (const i of first.error.issues) {
    if (i.code === 'unrecognized_keys') for (const k of i.keys) bad.add(k);
    else if (i.path.length) bad.add(String(i.path[0]));
  }
  const rest = Object.fromEntries(Object.entries(raw).filter(([k]) => !bad.has(k)));
  const second = overrideEntrySchema.safeParse(rest);
  return second.success ? second.data : undefined;
}

interface Candidate {
  name: string;
  /** Lower-case spellings the query is compared with. */
  forms: string[];
}

function nearest(q: string, query: string, candidates: Candidate[], max: number): string[] {
  if (!q || max <= 0) return [];
  const limit = Math.max(2, Math.floor(q.length / 3));
  const best = new Map<string, number>();
  for (const c of candidates) {
    for (const f of c.forms) {
      const d = editDistance(q, f.toLowerCase(), limit);
      if (d <= limit && d < (best.get(c.name) ?? Infinity)) best.set(c.name, d);
    }
  }
  if (best.size) {
    const close = [...best].map(([name, d]) => ({ name, d }));
    close.sort((a, b) => a.d - b.d || Number(a.name.includes('/')) - Number(b.name.includes('/')) || a.name.length - b.name.length || (a.name < b.name ? -1 : 1));
    const seen = new Set<string>();
    return close
      .filter((c) => !seen.has(c.name.toLowerCase()) && seen.add(c.name.toLowerCase()))
      .slice(0, max)
      .map((c) => c.name);
  }
  // Nothing within a few edits: fall back to names sharing the most tokens ("llama 8b" → "…llama…8b…").
  const qt = tokens(query);
  if (!qt.size) return [];
  const scored = new Map<string, number>();
  for (const c of candidates) {
    const nt = tokens(c.name);
    let shared = 0;
    for (const t of qt) if (nt.has(t)) shared++;
    const score = shared / (qt.size + nt.size - shared);
    if (score > (scored.get(c.name) ?? 0)) scored.set(c.name, score);
  }
  return [...scored]
    .sort((a, b) => b[1] - a[1] || a[0].length - b[0].length)
    .slice(0, max)
    .map(([name]) => name);
}

function tokens(s: string): Set<string> {
  return new Set(
    s
      .toLowerCase()
      .split(/[^a-z0-9.]+/)
      .filter((t) => t.length >= 2 && !/^\d{2,4}$/.test(t)),
  );
}

/** Optimal-string-alignment distance (a swap of two neighbours costs 1), stopping early above `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

function gpuKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/^\s*nvidia\s*/, '')
    .replace(/[^a-z0-9]/g, '');
}

function stripPrefix(model: string, provider: string): string {
  return model.toLowerCase().startsWith(`${provider}/`) ? model.slice(provider.length + 1) : model;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPrice(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}
