/**
 * The `llmops.yaml` project manifest: its zod schema (schemas/llmops.schema.json is generated from
 * it) and a parser that reports every problem at the exact range of the offending key or value.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { z } from 'zod';
import { formatNames } from '../dataset/formats';
import { issueProblems } from '../dataset/schemas';
import { inputSpecs } from '../decision/inputs';
import { approachIds, type InputId } from '../decision/types';

const ruleSetting = z.enum(['off', 'info', 'warning', 'error']);

/** `monthlyRequests` → `monthly_requests`: llmops.yaml keys are snake_case. */
export const decisionInputKey = (id: InputId): string => id.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const WHOLE: ReadonlySet<InputId> = new Set(['monthlyRequests', 'labelledExamples', 'preferencePairs']);

/** The decision inputs as written in llmops.yaml, built from the same specs the sidebar shows. */
const decisionInputsSchema = z.strictObject(
  Object.fromEntries(
    inputSpecs.map((spec) => {
      let t: z.ZodType;
      if (spec.kind === 'number') {
        let n = z.number({ error: `Expected a number (${spec.unit})` }).min(spec.min, `${spec.label} must be at least ${spec.min}`);
        if (spec.max !== undefined) n = n.max(spec.max, `${spec.label} must be at most ${spec.max}`);
        if (WHOLE.has(spec.id)) n = n.int(`${spec.label} must be a whole number`);
        t = spec.nullable ? n.nullable() : n;
      } else if (spec.kind === 'boolean') t = z.boolean({ error: 'Expected true or false' });
      else t = z.enum(spec.options.map((o) => o.value) as [string, ...string[]], { error: `Expected one of: ${spec.options.map((o) => o.value).join(', ')}` });
      return [decisionInputKey(spec.id), t.optional().describe(`${spec.label}: ${spec.help}`)];
    }),
  ),
);

/** The `decision:` section: what the Decision sidebar saves (and a person may edit by hand). */
export const decisionSchema = z
  .strictObject({
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Expected a date as YYYY-MM-DD').optional().describe('Day the decision was saved (YYYY-MM-DD)'),
    revision: z.number().int('revision must be a whole number').min(1, 'revision starts at 1').optional().describe('Incremented on every save, so a pull request shows the decision was revisited'),
    inputs: decisionInputsSchema.optional().describe('The answers given (defaults and values read from the project are not written)'),
    result: z
      .strictObject({
        id: z.string().regex(/^[a-z-]+(\+[a-z-]+)*$/, 'Expected approach ids joined by +, e.g. rag+persona-tuning').describe('Top recommendation, e.g. rag+persona-tuning'),
        approaches: z.array(z.enum(approachIds)).min(1).describe('Its approaches'),
        score: z.number().min(0).max(100).describe('Its score, 0..100'),
        break_even_months: z.number().nonnegative().nullable().optional().describe('Months until the custom model pays back its setup; null when it never does'),
      })
      .optional()
      .describe('The top recommendation when the decision was saved'),
    rationale: z.array(z.string()).optional().describe('Why: the reasons of the top recommendation, one line each'),
  })
  .describe('The customise-or-not decision (prompt, retrieve, fine-tune, align or pretrain): inputs, result and rationale, saved by the Decision sidebar');
export type ManifestDecision = z.infer<typeof decisionSchema>;

/** The `llmops.yaml` project manifest. */
export const manifestSchema = z
  .strictObject({
    version: z.literal(1, { error: 'Unsupported manifest version: expected 1' }).describe('Manifest format version; always 1'),
    project: z
      .strictObject({
        name: z.string().min(1).describe('Project name'),
        use_case: z.string().optional().describe('What the model is for, in one sentence'),
        description: z.string().optional(),
      })
      .describe('What this project is'),
    volume: z
      .strictObject({
        monthly_requests: z.number().int().nonnegative().optional().describe('Expected requests per month in production'),
        avg_prompt_tokens: z.number().nonnegative().optional().describe('Average prompt tokens per request (system prompt, tools and conversation included)'),
        avg_output_tokens: z.number().nonnegative().optional().describe('Average generated tokens per request'),
      })
      .optional()
      .describe('Expected production traffic: drives the cost estimates and the ROI of customising a model'),
    base_model: z.string().optional().describe('Base model: a Hugging Face hub id or a local folder'),
    datasets: z
      .strictObject({
        train: z.string().optional().describe('Training set (JSONL), relative to this file'),
        eval: z.string().optional().describe('Evaluation set (JSONL), relative to this file'),
        preferences: z.string().optional().describe('Preference pairs (JSONL) for DPO, relative to this file'),
      })
      .catchall(z.string())
      .optional()
      .describe('Dataset files by role; other names are allowed'),
    lint: z
      .strictObject({
        format: z.enum(formatNames).optional().describe('Force this record format instead of detecting it per record'),
        rules: z
          .record(z.string().regex(/^([A-Za-z]{2}\d{3}|[a-z0-9]+(-[a-z0-9]+)*)$/, 'Expected a rule code (LD001) or a kebab-case rule name'), ruleSetting)
          .optional()
          .describe('Severity per rule, by code or name: off, info, warning or error'),
        near_duplicate_threshold: z.number().min(0).max(1).optional().describe('Similarity (0..1) above which two records count as near duplicates'),
        min_examples: z.number().int().nonnegative().optional().describe('Fewest training examples before the linter warns'),
      })
      .optional()
      .describe('Dataset lint options'),
    prices: z
      .record(
        z.string().min(1, 'Expected a model or GPU name'),
        z
          .strictObject({
            input_per_million: z.number().positive('price must be greater than 0').optional().describe('Inference input (prompt) price, USD per 1M tokens'),
            output_per_million: z.number().positive('price must be greater than 0').optional().describe('Inference output (generated) price, USD per 1M tokens'),
            training_per_million: z.number().positive('price must be greater than 0').optional().describe('Hosted fine-tuning price, USD per 1M training tokens (dataset tokens × epochs)'),
            training_per_hour: z.number().positive('price must be greater than 0').optional().describe('Hosted fine-tuning price, USD per hour of training (reinforcement fine-tuning)'),
            gpu_hourly: z.number().positive('price must be greater than 0').optional().describe('GPU rental price, USD per GPU-hour'),
            gpu_memory_gb: z.number().positive('memory must be greater than 0').optional().describe('GPU memory in GB'),
            gpu_bf16_tflops: z.number().positive('TFLOPS must be greater than 0').optional().describe('Dense (no sparsity) BF16 tensor peak of the GPU, in TFLOPS'),
            context_limit: z.number().int().positive('context limit must be greater than 0').optional().describe('Longest training example in tokens: longer examples are clipped and billed up to this'),
          })
          .describe('Prices for one model (inference, fine-tuning) or one GPU; each value replaces the built-in one'),
      )
      .optional()
      .describe('Price overrides by model name (e.g. gpt-4o-mini) or GPU name (e.g. H100): they win over the built-in price tables'),
    decision: decisionSchema.optional(),
  })
  .meta({ title: 'LLMOps Workbench project manifest (llmops.yaml)' });

export type Manifest = z.infer<typeof manifestSchema>;

/** One problem in the manifest text, 0-based positions (UTF-16 columns, as LSP counts them). */
export interface ManifestProblem {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
  /** YAML warnings (an unresolved tag, …) are warnings; everything else is an error. */
  severity: 'error' | 'warning';
  /** The key path of a schema problem; absent for YAML syntax problems. */
  path?: (string | number)[];
}

export interface ParsedManifest {
  /** Present when there is no error, or when the only errors are in `prices:` entries or `decision:` (those are left out). */
  manifest?: Manifest;
  problems: ManifestProblem[];
}

/** Problems of a YAML text at their positions, and its parse (syntax errors and warnings already reported). */
export function yamlProblems(text: string): {
  problems: ManifestProblem[];
  at: (start: number, end: number, message: string, severity?: 'error' | 'warning', path?: (string | number)[]) => void;
  parse: () => Document.Parsed;
} {
  const lc = new LineCounter();
  const problems: ManifestProblem[] = [];
  const at = (start: number, end: number, message: string, severity: 'error' | 'warning' = 'error', path?: (string | number)[]): void => {
    const s = lc.linePos(start);
    const e = lc.linePos(Math.max(start, end));
    const p: ManifestProblem = { line: s.line - 1, column: s.col - 1, endLine: e.line - 1, endColumn: e.col - 1, message, severity };
    if (path) p.path = path;
    problems.push(p);
  };
  const parse = (): Document.Parsed => {
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
    for (const e of doc.errors) at(e.pos[0], e.pos[1], e.message);
    for (const w of doc.warnings) at(w.pos[0], w.pos[1], w.message, 'warning');
    return doc;
  };
  return { problems, at, parse };
}

/** Reports zod issues at the YAML range of the offending key or value; returns them. */
export function reportSchemaIssues(
  doc: Document,
  issues: Parameters<typeof issueProblems>[0],
  value: unknown,
  at: (start: number, end: number, message: string, severity?: 'error' | 'warning', path?: (string | number)[]) => void,
): ReturnType<typeof issueProblems> {
  const found = issueProblems(issues, value);
  for (const p of found) {
    const [start, end] = rangeOf(doc, p.path, p.code === 'unrecognized_keys' || p.code === 'invalid_key');
    at(start, end, p.message, 'error', p.path);
  }
  return found;
}

/** Parses and validates `llmops.yaml` text. Never throws. */
export function parseManifest(text: string): ParsedManifest {
  const { problems, at, parse } = yamlProblems(text);
  try {
    const doc = parse();
    if (doc.errors.length) return { problems };
    if (doc.contents === null) {
      at(0, 0, 'The manifest is empty: it needs at least `version: 1` and `project: {name}`');
      return { problems };
    }
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    const r = manifestSchema.safeParse(value);
    if (r.success) return { manifest: r.data, problems };
    const found = reportSchemaIssues(doc, r.error.issues, value, at);
    // A bad price override or a bad `decision:` section is reported and ignored; the rest of the
    // project (lint settings, datasets, costs) keeps working.
    const ignorable = (p: { path: (string | number)[] }): boolean => (p.path[0] === 'prices' && typeof p.path[1] === 'string') || p.path[0] === 'decision';
    if (found.length && found.every(ignorable) && isRecord(value)) {
      const rest: Record<string, unknown> = { ...value };
      if (found.some((p) => p.path[0] === 'decision')) delete rest.decision;
      if (isRecord(value.prices)) {
        const prices = { ...value.prices };
        for (const p of found) if (p.path[0] === 'prices') delete prices[p.path[1] as string];
        rest.prices = prices;
      }
      const again = manifestSchema.safeParse(rest);
      if (again.success) return { manifest: again.data, problems };
    }
    return { problems };
  } catch (err) {
    at(0, 0, `Could not read the manifest: ${err instanceof Error ? err.message : String(err)}`);
    return { problems };
  }
}

/**
 * Source range of the node at `path`: the key itself when `key` is set; otherwise the value, or its
 * key when the value is empty or a multi-line block (underlining a whole block helps nobody). A path
 * that does not exist (a missing key) resolves to the key of its nearest existing parent.
 */
export function rangeOf(doc: Document, path: readonly (string | number)[], key: boolean): [number, number] {
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  for (const seg of path) {
    let next: unknown;
    let nextKey: Node | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (pair) {
        next = pair.value;
        nextKey = pair.key as Node;
      }
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg];
    }
    if (next === undefined && nextKey === undefined) return fallback(doc, node, keyNode);
    node = next;
    keyNode = nextKey;
  }
  if (key && keyNode?.range) return [keyNode.range[0], keyNode.range[1]];
  const v = node as Node | null | undefined;
  const r = v?.range;
  if (r && r[1] > r[0] && !(v && (isMap(v) || isSeq(v)) && v.flow !== true && keyNode)) return [r[0], r[1]];
  if (keyNode?.range) return [keyNode.range[0], keyNode.range[1]];
  return r ? [r[0], r[1]] : [0, 0];
}

/** Where to report something missing inside `parent`: its key, or for the root its first key. */
function fallback(doc: Document, parent: unknown, parentKey: Node | undefined): [number, number] {
  if (parentKey?.range) return [parentKey.range[0], parentKey.range[1]];
  if (parent === doc.contents && isMap(parent)) {
    const first = parent.items[0]?.key as Node | undefined;
    if (first?.range) return [first.range[0], first.range[1]];
  }
  const r = (parent as Node | null)?.range;
  return r ? [r[0], r[1]] : [0, 0];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
