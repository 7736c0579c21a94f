/**
 * The decision framework's vocabulary, shared by the engine (src/core/decision), the runtime
 * (`llmops decide`, the `decision:` section of llmops.yaml) and the Decision sidebar webview.
 * Pure types and constants: no zod here (the webview bundle imports this file).
 */

export type Level = 'low' | 'medium' | 'high';

/** The approaches the engine ranks. Ids are stable: they appear in llmops.yaml and `llmops decide --format json`. */
export const approachIds = ['prompt-engineering', 'rag', 'sft', 'persona-tuning', 'tool-calling-sft', 'dpo', 'continued-pretraining'] as const;
export type ApproachId = (typeof approachIds)[number];

/** Everything the user answers. Every field has a default (`defaultInputs` in inputs.ts). */
export interface DecisionInputs {
  /** Expected production requests per month. */
  monthlyRequests: number;
  /** How far the domain's language and knowledge are from what a general model knows. */
  domainSpecificity: Level;
  /** How much a distinct brand voice / persona matters. */
  brandVoice: Level;
  /** Data must stay on infrastructure the team controls (compliance, sovereignty). */
  dataSovereignty: boolean;
  /** relaxed: seconds are fine; interactive: ~1 s; realtime: a few hundred ms end to end. */
  latency: 'relaxed' | 'interactive' | 'realtime';
  /** How fast the knowledge or requirements change. */
  changeRate: 'rarely' | 'monthly' | 'weekly';
  /** facts: answers are looked up in documents; behaviour: format, style, procedure; both. */
  knowledgeKind: 'facts' | 'behaviour' | 'both';
  /** The model must call tools / functions reliably. */
  toolCalling: boolean;
  /** The model says the wrong kind of thing (unsafe, off-policy, wrong tone) despite instructions. */
  safetyIssues: boolean;
  /** Clean labelled examples available; null: read from the project's linted datasets. */
  labelledExamples: number | null;
  /** Preference pairs (chosen / rejected) available; null: read from the project's datasets. */
  preferencePairs: number | null;
  /** Budget for the customisation project, USD. */
  budgetUsd: number;
  /** Team hours available for the project. */
  teamHours: number;
  /** Current API cost per query, USD (what the API approach costs today). */
  apiCostPerQuery: number;
  /** Monthly cost of serving the custom model, USD (GPU $/h × hours, or a flat figure). */
  customMonthlyUsd: number;
  /** Engineering hours to set up the custom model (data, training, evaluation). */
  setupHours: number;
  /** Loaded cost of an engineering hour, USD. */
  hourlyRateUsd: number;
  /** Training compute, USD. */
  trainingCostUsd: number;
}

export type InputId = keyof DecisionInputs;

/** One reason, in words a person can check, naming the inputs that drove it. */
export interface Reason {
  text: string;
  inputs: InputId[];
  /** + pushes this approach up, − down. */
  effect: 'for' | 'against';
}

export interface Recommendation {
  /** A single approach or a combination, e.g. ['rag', 'persona-tuning']. */
  approaches: ApproachId[];
  /** approaches joined with '+', e.g. 'rag+persona-tuning'. */
  id: string;
  /** Human title, e.g. "RAG + persona tuning". */
  title: string;
  /** 0..100, higher is better; the list is sorted by score, descending. */
  score: number;
  reasons: Reason[];
  /** What would change the answer, e.g. "If volume were below ~50k/month, prompting wins". */
  whatWouldChange: string[];
  risks: string[];
  /**
   * Concrete next steps in this workspace; `command` is an allowlisted VS Code command id when there
   * is one, `args` its arguments (e.g. ['sft'] for llmops.createTrainingConfig).
   */
  nextSteps: { text: string; command?: string; args?: string[] }[];
}

/** The volume × domain-specificity matrix of the source documents. */
export type MatrixCell = 'foundation-model-is-fine' | 'rag-might-suffice' | 'evaluate-case-by-case' | 'strong-case-for-fine-tuning';

export interface MatrixPosition {
  volume: 'low' | 'high';
  specificity: 'low' | 'high';
  cell: MatrixCell;
  /** Where the project sits inside the 2×2, 0..1 on each axis (for the marker): x = volume (log scale), y = specificity. */
  x: number;
  y: number;
}

export interface DecisionRoi {
  apiMonthlyUsd: number;
  customMonthlyUsd: number;
  monthlySavingsUsd: number;
  upfrontUsd: number;
  breakEvenMonths: number | null;
  cumulative: { month: number; api: number; custom: number }[];
}

export interface DecisionResult {
  recommendation: Recommendation[];
  matrix: MatrixPosition;
  roi: DecisionRoi;
  breakEvenMonths: number | null;
  /** Inputs after defaults and project data were applied (what the result was computed from). */
  inputs: DecisionInputs;
  /** Which inputs came from the project rather than from the user (e.g. labelledExamples). */
  fromProject: InputId[];
}
