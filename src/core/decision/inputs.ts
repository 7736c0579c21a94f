/**
 * The decision inputs: one default each and the text the Decision sidebar shows for each question.
 * Pure data (the webview bundles it).
 */
import type { DecisionInputs, InputId } from './types';

export type InputGroup = 'Traffic & cost' | 'Domain & behaviour' | 'Constraints' | 'Data & team' | 'Economics';

export interface InputOption {
  value: string;
  label: string;
}

interface SpecBase {
  id: InputId;
  group: InputGroup;
  label: string;
  /** One sentence shown under the question. */
  help: string;
}

export interface NumberInputSpec extends SpecBase {
  kind: 'number';
  unit: string;
  min: number;
  max?: number;
  step: number;
  /** labelledExamples / preferencePairs: empty means "count the project's datasets". */
  nullable?: boolean;
}
export interface LevelInputSpec extends SpecBase {
  kind: 'level';
  options: InputOption[];
}
export interface BooleanInputSpec extends SpecBase {
  kind: 'boolean';
}
export interface ChoiceInputSpec extends SpecBase {
  kind: 'choice';
  options: InputOption[];
}
export type InputSpec = NumberInputSpec | LevelInputSpec | BooleanInputSpec | ChoiceInputSpec;

/**
 * Defaults describe a cautious starting point (modest traffic, a general domain) so an unanswered
 * questionnaire recommends prompt engineering. The economics defaults are the source documents'
 * worked example: GPT-4o at ~$0.005/query, a self-hosted 7B model at ~$500/month, 40–100 setup hours
 * (70, the midpoint) at $75/hour — the rate at which that example's break-even lands in its stated
 * 2–4 months (see test/unit/decisionRoi.unit.test.ts for the arithmetic).
 */
export const defaultInputs: DecisionInputs = {
  monthlyRequests: 10_000,
  domainSpecificity: 'low',
  brandVoice: 'low',
  dataSovereignty: false,
  latency: 'interactive',
  changeRate: 'monthly',
  knowledgeKind: 'both',
  toolCalling: false,
  safetyIssues: false,
  labelledExamples: null,
  preferencePairs: null,
  budgetUsd: 10_000,
  teamHours: 120,
  apiCostPerQuery: 0.005,
  customMonthlyUsd: 500,
  setupHours: 70,
  hourlyRateUsd: 75,
  trainingCostUsd: 25,
};

const levels: InputOption[] = [
  { value: 'low', label: 'Low' },
  { value: 'medium', label: 'Medium' },
  { value: 'high', label: 'High' },
];

/** In question order: the sidebar walks them group by group. */
export const inputSpecs: InputSpec[] = [
  {
    id: 'monthlyRequests',
    group: 'Traffic & cost',
    label: 'Requests per month',
    help: 'Expected production requests per month; from 100k a month, per-token API pricing starts to outweigh hosting your own model.',
    kind: 'number',
    unit: 'requests/month',
    min: 0,
    max: 1_000_000_000,
    step: 1000,
  },
  {
    id: 'apiCostPerQuery',
    group: 'Traffic & cost',
    label: 'API cost per query',
    help: 'What one request costs today on the hosted API (input + output tokens), e.g. ~$0.005 on GPT-4o, ~$0.004 on Claude.',
    kind: 'number',
    unit: 'USD',
    min: 0,
    max: 10,
    step: 0.0005,
  },
  {
    id: 'latency',
    group: 'Traffic & cost',
    label: 'Latency needs',
    help: 'How fast an answer must arrive end to end; real-time budgets favour a small self-hosted model without a retrieval hop.',
    kind: 'choice',
    options: [
      { value: 'relaxed', label: 'Relaxed (seconds are fine)' },
      { value: 'interactive', label: 'Interactive (~1 s)' },
      { value: 'realtime', label: 'Real-time (a few hundred ms)' },
    ],
  },
  {
    id: 'domainSpecificity',
    group: 'Domain & behaviour',
    label: 'Domain specificity',
    help: 'How far the language and knowledge of your domain are from what a general model knows (jargon, product names, procedures).',
    kind: 'level',
    options: levels,
  },
  {
    id: 'knowledgeKind',
    group: 'Domain & behaviour',
    label: 'What the model must get right',
    help: 'Facts looked up in documents are best retrieved (RAG); behaviour, format and procedure are best trained in.',
    kind: 'choice',
    options: [
      { value: 'facts', label: 'Facts (look-up in documents)' },
      { value: 'behaviour', label: 'Behaviour (format, style, procedure)' },
      { value: 'both', label: 'Both' },
    ],
  },
  {
    id: 'changeRate',
    group: 'Domain & behaviour',
    label: 'How fast knowledge or requirements change',
    help: 'Knowledge trained into a model goes stale; fast-changing content belongs in prompts or a retrieval index.',
    kind: 'choice',
    options: [
      { value: 'rarely', label: 'Rarely' },
      { value: 'monthly', label: 'Monthly' },
      { value: 'weekly', label: 'Weekly or faster' },
    ],
  },
  {
    id: 'brandVoice',
    group: 'Domain & behaviour',
    label: 'Brand voice / persona',
    help: 'How much a distinct, consistent voice matters; prompted personas drift, persona tuning makes the voice stick.',
    kind: 'level',
    options: levels,
  },
  {
    id: 'toolCalling',
    group: 'Domain & behaviour',
    label: 'Tool calling',
    help: 'The model must call your API or functions reliably, with valid arguments.',
    kind: 'boolean',
  },
  {
    id: 'safetyIssues',
    group: 'Domain & behaviour',
    label: 'Safety or preference problems',
    help: 'The model says the wrong kind of thing (unsafe, off-policy, wrong tone) even with clear instructions: a job for preference alignment (DPO).',
    kind: 'boolean',
  },
  {
    id: 'dataSovereignty',
    group: 'Constraints',
    label: 'Data sovereignty / compliance',
    help: 'Data must stay on infrastructure you control (healthcare, legal, financial), which rules out sending it to a third-party API.',
    kind: 'boolean',
  },
  {
    id: 'labelledExamples',
    group: 'Data & team',
    label: 'Clean labelled examples',
    help: "Examples of the exact input → output you want; leave empty to count the project's clean-linted datasets (10 is the minimum, 50+ recommended).",
    kind: 'number',
    unit: 'examples',
    min: 0,
    step: 10,
    nullable: true,
  },
  {
    id: 'preferencePairs',
    group: 'Data & team',
    label: 'Preference pairs',
    help: "Chosen / rejected answer pairs for DPO; leave empty to count the project's preference datasets.",
    kind: 'number',
    unit: 'pairs',
    min: 0,
    step: 10,
    nullable: true,
  },
  {
    id: 'teamHours',
    group: 'Data & team',
    label: 'Team hours available',
    help: 'Engineering hours the team can put into data preparation, training and evaluation.',
    kind: 'number',
    unit: 'hours',
    min: 0,
    max: 100_000,
    step: 10,
  },
  {
    id: 'budgetUsd',
    group: 'Data & team',
    label: 'Project budget',
    help: 'Money available for the customisation project (engineering time plus compute).',
    kind: 'number',
    unit: 'USD',
    min: 0,
    step: 500,
  },
  {
    id: 'customMonthlyUsd',
    group: 'Economics',
    label: 'Custom model monthly cost',
    help: 'Serving your own model per month, e.g. a 7B model on a $0.50/hour GPU plus overhead ≈ $500.',
    kind: 'number',
    unit: 'USD/month',
    min: 0,
    step: 50,
  },
  {
    id: 'setupHours',
    group: 'Economics',
    label: 'Setup hours',
    help: 'Data preparation + fine-tuning + evaluation setup; 40–100 hours is typical for a first model.',
    kind: 'number',
    unit: 'hours',
    min: 0,
    max: 100_000,
    step: 5,
  },
  {
    id: 'hourlyRateUsd',
    group: 'Economics',
    label: 'Engineering hourly rate',
    help: 'Loaded cost of one engineering hour, used to price the setup.',
    kind: 'number',
    unit: 'USD/hour',
    min: 0,
    step: 5,
  },
  {
    id: 'trainingCostUsd',
    group: 'Economics',
    label: 'Training compute',
    help: 'GPU or hosted fine-tuning cost of the training runs (a LoRA run on a 7B model can cost under $1; budget for several).',
    kind: 'number',
    unit: 'USD',
    min: 0,
    step: 5,
  },
];

export const inputSpecById: Record<InputId, InputSpec> = Object.fromEntries(inputSpecs.map((s) => [s.id, s])) as Record<InputId, InputSpec>;
