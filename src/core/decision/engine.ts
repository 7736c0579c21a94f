/**
 * The decision engine: should this use case prompt, retrieve, fine-tune, align or pretrain?
 *
 * Scores come from one table of rules (RULES below): each row names the approach it moves, a
 * condition on the inputs, a weight and the reason a person can check. Combinations (RAG + persona
 * tuning, SFT + tool-calling SFT, …) are built from the single scores. "What would change the answer"
 * is not written by hand: the engine re-runs itself with each input moved and reports the moves that
 * change the top answer.
 *
 * Pure, synchronous and dependency-free: the Decision webview bundles it and re-runs it on every answer.
 */
import { roi as computeRoi } from '../cost/roi';
import { defaultInputs } from './inputs';
import { approachIds, type ApproachId, type DecisionInputs, type DecisionResult, type InputId, type Level, type MatrixCell, type MatrixPosition, type Reason, type Recommendation } from './types';

/**
 * Volume at which the matrix's "high volume" row starts: at the source's ~$0.005/query, 100k
 * requests cost ~$500/month on an API, what self-hosting a fine-tuned 7B model costs. Below it a
 * custom model cannot pay for itself on cost alone.
 */
export const VOLUME_HIGH = 100_000;
/** From here per-token pricing dominates every other cost ("10M monthly requests = significant API costs"). */
export const VOLUME_VERY_HIGH = 1_000_000;
/** OpenAI's fine-tuning minimum. */
export const MIN_EXAMPLES = 10;
/** OpenAI's recommended starting point (clear improvements from 50–100 well-crafted examples). */
export const RECOMMENDED_EXAMPLES = 50;
export const PLENTY_EXAMPLES = 1000;
export const MIN_PREFERENCE_PAIRS = 10;
export const RECOMMENDED_PREFERENCE_PAIRS = 100;
/** Below this budget continued pretraining (large corpora, many GPU hours) is out of reach. */
export const PRETRAINING_MIN_BUDGET_USD = 50_000;
/** An add-on (persona, tools, DPO) or a second base joins a combination from this score. */
const JOIN_SCORE = 65;

/** Commands the engine may offer as next steps (the extension allowlists the same ids). */
export const nextStepCommands = ['llmops.lintWorkspace', 'llmops.showCostBreakdown', 'llmops.createTrainingConfig', 'llmops.exportDecisionReport'] as const;

/** Derived facts the rules read; computed once per run. */
interface Ctx {
  i: DecisionInputs;
  volume: 'low' | 'high';
  spec: 'low' | 'high';
  apiMonthly: number;
  upfront: number;
  breakEven: number | null;
  /** The project is pushed towards serving its own model (cost at scale, sovereignty, latency). */
  selfHost: boolean;
}

interface Rule {
  approaches: ApproachId[];
  when: (c: Ctx) => boolean;
  /** Added to the score when `when` holds; the reason is shown as "for" when ≥ 0. */
  weight: number;
  reason: (c: Ctx) => string;
  inputs: InputId[];
}

const FINE_TUNED: ApproachId[] = ['sft', 'persona-tuning', 'tool-calling-sft'];
const TRAINED: ApproachId[] = ['sft', 'persona-tuning', 'tool-calling-sft', 'dpo', 'continued-pretraining'];

/** Where each approach starts before any rule: the cheaper and easier to change, the higher. */
const BASE_SCORE: Record<ApproachId, number> = {
  'prompt-engineering': 55,
  rag: 45,
  sft: 35,
  'persona-tuning': 25,
  'tool-calling-sft': 25,
  dpo: 20,
  'continued-pretraining': 10,
};

const r = (approaches: ApproachId | ApproachId[], inputs: InputId[], weight: number, when: (c: Ctx) => boolean, reason: (c: Ctx) => string): Rule => ({
  approaches: Array.isArray(approaches) ? approaches : [approaches],
  inputs,
  weight,
  when,
  reason,
});

const V: InputId[] = ['monthlyRequests'];
const VS: InputId[] = ['monthlyRequests', 'domainSpecificity'];
const vol = (c: Ctx): string => `${compact(c.i.monthlyRequests)} requests/month`;
const known = (n: number | null): n is number => n !== null;

/**
 * The rules. Read a row as: "for APPROACH, using INPUTS, add WEIGHT when CONDITION, because REASON".
 * The four matrix rows come first and reproduce the source's volume × specificity matrix.
 */
export const RULES: readonly Rule[] = [
  // The volume × domain-specificity matrix.
  r('prompt-engineering', VS, 30, (c) => c.volume === 'low' && c.spec === 'low', (c) => `Low volume (${vol(c)}) and low domain specificity: a foundation model is fine (decision matrix), so start with good prompts.`),
  r('sft', VS, -20, (c) => c.volume === 'low' && c.spec === 'low', (c) => `At ${vol(c)} in a general domain a custom model has little to win (decision matrix: foundation model is fine).`),
  r('rag', VS, 25, (c) => c.volume === 'high' && c.spec === 'low', (c) => `High volume (${vol(c)}) in a general domain: RAG might suffice (decision matrix) — ground a foundation model in your documents before training one.`),
  r('rag', VS, 15, (c) => c.volume === 'low' && c.spec === 'high', (c) => `Specialised domain at low volume (${vol(c)}): evaluate case by case (decision matrix) — try retrieval over your documents first.`),
  r('sft', VS, 25, (c) => c.volume === 'low' && c.spec === 'high', (c) => `Specialised domain: fine-tuning teaches its terminology, but at ${vol(c)} evaluate case by case (decision matrix).`),
  r('prompt-engineering', ['domainSpecificity'], -5, (c) => c.spec === 'high', () => 'High domain specificity: a general model with a prompt alone tends to miss the domain\'s language.'),
  r('sft', VS, 45, (c) => c.volume === 'high' && c.spec === 'high', (c) => `High volume (${vol(c)}) and high domain specificity: a strong case for fine-tuning (decision matrix).`),
  r('rag', VS, 10, (c) => c.volume === 'high' && c.spec === 'high', () => 'Retrieval still helps a specialised domain at scale, for the facts a model should look up rather than memorise.'),
  r('prompt-engineering', VS, -20, (c) => c.volume === 'high' && c.spec === 'high', () => 'Prompting alone rarely closes the gap in a specialised domain at high volume.'),
  r('continued-pretraining', VS, 10, (c) => c.volume === 'high' && c.spec === 'high', () => 'High volume in a highly specialised domain is where continued pretraining can be considered.'),
  r(['sft', 'rag'], ['domainSpecificity'], 5, (c) => c.i.domainSpecificity === 'medium', () => 'Moderately specialised domain: worth grounding or tuning once prompting plateaus.'),

  // Volume beyond the matrix.
  r('sft', V, 10, (c) => c.i.monthlyRequests >= VOLUME_VERY_HIGH, (c) => `At ${vol(c)} per-token API pricing dominates: cost at scale favours a self-hosted fine-tuned small model.`),

  // How fast knowledge or requirements change.
  r('rag', ['changeRate'], 20, (c) => c.i.changeRate === 'weekly', () => 'Knowledge or requirements change weekly: a retrieval index updates without retraining.'),
  r('prompt-engineering', ['changeRate'], 10, (c) => c.i.changeRate === 'weekly', () => 'Rapidly changing requirements: a foundation model suffices and prompts change in minutes.'),
  r(['sft', 'continued-pretraining'], ['changeRate'], -30, (c) => c.i.changeRate === 'weekly', () => 'Requirements change weekly: knowledge trained into weights goes stale between retrainings.'),
  r('tool-calling-sft', ['changeRate'], -5, (c) => c.i.changeRate === 'weekly', () => 'Tools that change weekly mean retraining the tool-calling model as often.'),
  r(['sft', 'continued-pretraining'], ['changeRate'], 5, (c) => c.i.changeRate === 'rarely', () => 'Knowledge changes rarely: what is trained in stays true.'),

  // Facts vs behaviour.
  r('rag', ['knowledgeKind'], 20, (c) => c.i.knowledgeKind === 'facts', () => 'Answers are factual look-ups: retrieval cites current documents.'),
  r('sft', ['knowledgeKind'], -10, (c) => c.i.knowledgeKind === 'facts', () => 'Fine-tuning teaches behaviour better than facts; facts trained into weights are hard to update and invite hallucination.'),
  r('sft', ['knowledgeKind'], 15, (c) => c.i.knowledgeKind === 'behaviour', () => 'Behaviour, format and procedure are what supervised fine-tuning teaches best.'),
  r('rag', ['knowledgeKind'], -20, (c) => c.i.knowledgeKind === 'behaviour', () => 'Retrieval adds documents, not behaviour: it does not fix format or procedure.'),
  r(['rag', 'sft'], ['knowledgeKind'], 5, (c) => c.i.knowledgeKind === 'both', () => 'Both facts and behaviour matter: retrieval for the facts, training for the behaviour.'),

  // Brand voice.
  r('persona-tuning', ['brandVoice'], 45, (c) => c.i.brandVoice === 'high', () => 'A distinct brand voice matters a lot: persona tuning makes it consistent where prompted personas drift.'),
  r('persona-tuning', ['brandVoice'], 20, (c) => c.i.brandVoice === 'medium', () => 'Brand voice matters somewhat: persona tuning helps if prompting does not hold the tone.'),
  r('persona-tuning', ['brandVoice'], -10, (c) => c.i.brandVoice === 'low', () => 'Brand voice is not a priority.'),
  r('prompt-engineering', ['brandVoice'], -10, (c) => c.i.brandVoice === 'high', () => 'Prompted personas drift over long conversations and speak in a generic assistant voice.'),

  // Tool calling.
  r('tool-calling-sft', ['toolCalling'], 40, (c) => c.i.toolCalling, () => 'The model must call tools reliably: tool-calling SFT teaches the call format and argument discipline.'),
  r('tool-calling-sft', ['toolCalling', 'monthlyRequests', 'dataSovereignty', 'latency'], 10, (c) => c.i.toolCalling && c.selfHost, () => 'A self-hosted small model needs tool calling trained in; hosted APIs call tools natively.'),
  r('tool-calling-sft', ['toolCalling'], -20, (c) => !c.i.toolCalling, () => 'No tool calling needed.'),

  // Safety and preferences.
  r('dpo', ['safetyIssues'], 50, (c) => c.i.safetyIssues, () => 'The model says the wrong kind of thing despite instructions: preference alignment (DPO) trains it away from rejected answers.'),
  r('dpo', ['safetyIssues'], -15, (c) => !c.i.safetyIssues, () => 'No safety or preference problems reported.'),
  r('prompt-engineering', ['safetyIssues'], -10, (c) => c.i.safetyIssues, () => 'Instructions have already failed to stop the unwanted answers.'),

  // Sovereignty and latency.
  r('prompt-engineering', ['dataSovereignty'], -25, (c) => c.i.dataSovereignty, () => 'Data must stay on your infrastructure: a hosted API sends every prompt to a third party (prompting a self-hosted open model is the fallback).'),
  r('rag', ['dataSovereignty'], -10, (c) => c.i.dataSovereignty, () => 'Data sovereignty: retrieved documents go to the model too, so RAG needs a self-hosted model.'),
  r('sft', ['dataSovereignty'], 25, (c) => c.i.dataSovereignty, () => 'Data sovereignty: a self-hosted fine-tuned small model keeps data on your infrastructure.'),
  r(['persona-tuning', 'tool-calling-sft'], ['dataSovereignty'], 5, (c) => c.i.dataSovereignty, () => 'Data sovereignty: a self-hosted tuned model keeps data on your infrastructure.'),
  r('sft', ['latency'], 15, (c) => c.i.latency === 'realtime', () => 'Real-time latency: a small self-hosted fine-tuned model answers faster than a large API model with a long prompt.'),
  r('prompt-engineering', ['latency'], -10, (c) => c.i.latency === 'realtime', () => 'Real-time latency: long prompts and a remote API add hundreds of milliseconds.'),
  r('rag', ['latency'], -15, (c) => c.i.latency === 'realtime', () => 'Real-time latency: the retrieval hop adds latency to every answer.'),

  // Data sufficiency.
  r(FINE_TUNED, ['labelledExamples'], -40, (c) => known(c.i.labelledExamples) && c.i.labelledExamples < MIN_EXAMPLES, (c) => `Only ${int(c.i.labelledExamples ?? 0)} clean labelled examples: below the minimum of ${MIN_EXAMPLES} to fine-tune at all (${RECOMMENDED_EXAMPLES}+ recommended).`),
  r(FINE_TUNED, ['labelledExamples'], -20, (c) => known(c.i.labelledExamples) && c.i.labelledExamples >= MIN_EXAMPLES && c.i.labelledExamples < RECOMMENDED_EXAMPLES, (c) => `${int(c.i.labelledExamples ?? 0)} clean labelled examples: above the minimum of ${MIN_EXAMPLES} but below the recommended ${RECOMMENDED_EXAMPLES}.`),
  r(FINE_TUNED, ['labelledExamples'], 5, (c) => known(c.i.labelledExamples) && c.i.labelledExamples >= RECOMMENDED_EXAMPLES && c.i.labelledExamples < PLENTY_EXAMPLES, (c) => `${int(c.i.labelledExamples ?? 0)} clean labelled examples: enough to start (${RECOMMENDED_EXAMPLES}+); quality keeps improving into the thousands.`),
  r(FINE_TUNED, ['labelledExamples'], 10, (c) => known(c.i.labelledExamples) && c.i.labelledExamples >= PLENTY_EXAMPLES, (c) => `${int(c.i.labelledExamples ?? 0)} clean labelled examples: plenty for LoRA fine-tuning.`),
  r(FINE_TUNED, ['labelledExamples'], -5, (c) => !known(c.i.labelledExamples), () => 'Clean labelled examples not counted yet: lint the datasets or enter a number (10 minimum, 50+ recommended).'),
  r('dpo', ['preferencePairs'], -30, (c) => known(c.i.preferencePairs) && c.i.preferencePairs < MIN_PREFERENCE_PAIRS, (c) => `Only ${int(c.i.preferencePairs ?? 0)} preference pairs: DPO needs chosen / rejected pairs (${MIN_PREFERENCE_PAIRS} at the very least, hundreds to be useful).`),
  r('dpo', ['preferencePairs'], -10, (c) => known(c.i.preferencePairs) && c.i.preferencePairs >= MIN_PREFERENCE_PAIRS && c.i.preferencePairs < RECOMMENDED_PREFERENCE_PAIRS, (c) => `${int(c.i.preferencePairs ?? 0)} preference pairs: enough to try DPO, but aim for ${RECOMMENDED_PREFERENCE_PAIRS}+.`),
  r('dpo', ['preferencePairs'], 10, (c) => known(c.i.preferencePairs) && c.i.preferencePairs >= RECOMMENDED_PREFERENCE_PAIRS, (c) => `${int(c.i.preferencePairs ?? 0)} preference pairs: enough for DPO.`),
  r('dpo', ['preferencePairs'], -10, (c) => !known(c.i.preferencePairs), () => 'No preference pairs counted: DPO needs chosen / rejected answer pairs.'),

  // Continued pretraining: rarely worth it.
  r('continued-pretraining', ['domainSpecificity', 'monthlyRequests', 'budgetUsd'], 45, (c) => c.spec === 'high' && c.i.monthlyRequests >= VOLUME_VERY_HIGH && c.i.budgetUsd >= PRETRAINING_MIN_BUDGET_USD, () => 'A domain far from general text at very high volume with a large budget: continued pretraining on a domain corpus (BloombergGPT-style) can pay off.'),
  r('continued-pretraining', ['budgetUsd'], -20, (c) => c.i.budgetUsd < PRETRAINING_MIN_BUDGET_USD, (c) => `Continued pretraining needs a large unlabelled domain corpus and many GPU hours: a budget of ${usd(c.i.budgetUsd)} is below the ~${usd(PRETRAINING_MIN_BUDGET_USD)} it takes.`),

  // Budget and team.
  r(TRAINED, ['teamHours', 'setupHours'], -15, (c) => c.i.teamHours < c.i.setupHours, (c) => `The team has ${int(c.i.teamHours)} hours, below the ${int(c.i.setupHours)} hours setup (data, training, evaluation) takes.`),
  r(TRAINED, ['budgetUsd', 'setupHours', 'hourlyRateUsd', 'trainingCostUsd'], -15, (c) => c.i.budgetUsd < c.upfront, (c) => `The budget (${usd(c.i.budgetUsd)}) is below the setup cost (${usd(c.upfront)} = ${int(c.i.setupHours)} h × ${usd(c.i.hourlyRateUsd)} + ${usd(c.i.trainingCostUsd)} compute).`),
  r('prompt-engineering', ['teamHours', 'setupHours'], 5, (c) => c.i.teamHours < c.i.setupHours, () => 'Prompting fits the team hours available.'),

  // Economics of serving your own model.
  r(FINE_TUNED, ['monthlyRequests', 'apiCostPerQuery', 'customMonthlyUsd'], -10, (c) => c.breakEven === null, (c) => `At ${vol(c)} the API costs ${usd(c.apiMonthly)}/month, no more than the custom model's ${usd(c.i.customMonthlyUsd)}/month: it never pays back on cost.`),
  r('sft', ['monthlyRequests', 'apiCostPerQuery', 'customMonthlyUsd'], -5, (c) => c.breakEven === null, () => 'Fine-tuning would have to be justified by quality, sovereignty or latency, not cost.'),
  r(FINE_TUNED, ['monthlyRequests', 'apiCostPerQuery', 'customMonthlyUsd', 'setupHours', 'hourlyRateUsd'], 10, (c) => c.breakEven !== null && c.breakEven <= 6, (c) => `Pays back in ${months(c.breakEven)}: ${usd(c.apiMonthly - c.i.customMonthlyUsd)}/month saved against ${usd(c.upfront)} upfront.`),
  r(FINE_TUNED, ['monthlyRequests', 'apiCostPerQuery', 'customMonthlyUsd', 'setupHours', 'hourlyRateUsd'], 0, (c) => c.breakEven !== null && c.breakEven > 6 && c.breakEven <= 24, (c) => `Pays back in ${months(c.breakEven)}: ${usd(c.apiMonthly - c.i.customMonthlyUsd)}/month saved against ${usd(c.upfront)} upfront.`),
  r(FINE_TUNED, ['monthlyRequests', 'apiCostPerQuery', 'customMonthlyUsd', 'setupHours', 'hourlyRateUsd'], -10, (c) => c.breakEven !== null && c.breakEven > 24, (c) => `Break-even only after ${months(c.breakEven)}: cost alone does not justify it.`),

  // Always true: what each approach is, so every entry has at least one reason.
  r('prompt-engineering', [], 0, () => true, () => 'Cheapest to start and to change: prompts ship in minutes and are versioned like code.'),
];

/** Risks per approach; a combination lists those of its parts. */
const RISKS: readonly { approaches: ApproachId[]; when?: (c: Ctx) => boolean; text: string }[] = [
  { approaches: ['prompt-engineering'], text: 'Drift when the provider updates the model: pin the model version and keep a regression eval.' },
  { approaches: ['prompt-engineering'], text: 'Long system prompts add tokens (cost and latency) to every request.' },
  { approaches: ['prompt-engineering', 'rag'], when: (c) => c.i.dataSovereignty, text: 'Data leakage: a hosted API receives every prompt; run the model yourself if data must stay in house.' },
  { approaches: ['rag'], text: 'Retrieval caps quality: stale or missing documents produce confident wrong answers.' },
  { approaches: ['rag'], text: 'Data leakage: the index may return documents a user should not see; apply access control to retrieval.' },
  { approaches: ['rag'], text: 'Maintenance: documents must be re-indexed as they change.' },
  { approaches: ['sft', 'persona-tuning', 'tool-calling-sft', 'continued-pretraining'], text: 'Bias inherited from the data: a model trained on biased examples reproduces those biases.' },
  { approaches: ['sft', 'persona-tuning', 'tool-calling-sft', 'dpo'], text: 'Data leakage: personal data in training examples can be memorised and repeated; lint the datasets for PII first.' },
  { approaches: ['sft', 'continued-pretraining'], text: 'Drift: knowledge trained in goes stale; monitor quality and plan retraining.' },
  { approaches: ['sft', 'persona-tuning', 'tool-calling-sft', 'dpo', 'continued-pretraining'], text: 'Maintenance: a new model asset to version, evaluate, deploy and monitor.' },
  { approaches: ['sft', 'persona-tuning', 'continued-pretraining'], text: 'Catastrophic forgetting: general skills can degrade; evaluate on a general set as well as the task.' },
  { approaches: ['persona-tuning'], text: 'The voice sticks but accuracy may slip: evaluate content, not only tone.' },
  { approaches: ['tool-calling-sft'], text: 'Tool schemas change: retrain when the API changes, and validate generated arguments at runtime.' },
  { approaches: ['dpo'], text: 'Noisy or inconsistent preference pairs teach the wrong preference; over-alignment makes the model refuse or hedge.' },
  { approaches: ['continued-pretraining'], text: 'Cost: large corpora and many GPU hours, with results that still need SFT on top.' },
];

const TITLES: Record<ApproachId, string> = {
  'prompt-engineering': 'Prompt engineering',
  rag: 'RAG (retrieval-augmented generation)',
  sft: 'Supervised fine-tuning (SFT)',
  'persona-tuning': 'Persona tuning',
  'tool-calling-sft': 'Tool-calling SFT',
  dpo: 'DPO alignment',
  'continued-pretraining': 'Continued pretraining',
};
const SHORT: Record<ApproachId, string> = {
  'prompt-engineering': 'prompt engineering',
  rag: 'RAG',
  sft: 'SFT',
  'persona-tuning': 'persona tuning',
  'tool-calling-sft': 'tool-calling SFT',
  dpo: 'DPO',
  'continued-pretraining': 'continued pretraining',
};

/** Human title of a single approach or a combination. */
export function approachTitle(approaches: readonly ApproachId[]): string {
  if (approaches.length === 1) return TITLES[approaches[0]];
  const s = approaches.map((a) => SHORT[a]).join(' + ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Merges the answers: the user's wins over the project's, which wins over the default. A null count
 * (labelledExamples, preferencePairs) from the user means "read it from the project".
 */
export function resolveInputs(user: Partial<DecisionInputs>, fromProject: Partial<DecisionInputs> = {}): { inputs: DecisionInputs; fromProject: InputId[] } {
  const inputs = { ...defaultInputs } as Record<InputId, unknown>;
  const taken: InputId[] = [];
  for (const id of Object.keys(defaultInputs) as InputId[]) {
    const u = valid(id, user[id]);
    const p = valid(id, fromProject[id]) ?? undefined;
    if (u !== undefined && !(u === null && p !== undefined)) inputs[id] = u;
    else if (p !== undefined) {
      inputs[id] = p;
      taken.push(id);
    }
  }
  return { inputs: inputs as unknown as DecisionInputs, fromProject: taken };
}

/** A value of the right type, or undefined (a hand-edited llmops.yaml or a webview message may hold anything). */
function valid(id: InputId, v: unknown): unknown {
  const d = defaultInputs[id];
  if (v === undefined) return undefined;
  if (v === null) return id === 'labelledExamples' || id === 'preferencePairs' ? null : undefined;
  if (typeof d === 'number' || d === null) return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
  if (typeof d === 'boolean') return typeof v === 'boolean' ? v : undefined;
  return typeof v === 'string' && (ALLOWED[id] ?? []).includes(v) ? v : undefined;
}
const ALLOWED: Partial<Record<InputId, readonly string[]>> = {
  domainSpecificity: ['low', 'medium', 'high'],
  brandVoice: ['low', 'medium', 'high'],
  latency: ['relaxed', 'interactive', 'realtime'],
  changeRate: ['rarely', 'monthly', 'weekly'],
  knowledgeKind: ['facts', 'behaviour', 'both'],
};

function context(i: DecisionInputs): Ctx {
  const apiMonthly = i.monthlyRequests * i.apiCostPerQuery;
  const upfront = i.setupHours * i.hourlyRateUsd + i.trainingCostUsd;
  const savings = apiMonthly - i.customMonthlyUsd;
  const volume = i.monthlyRequests >= VOLUME_HIGH ? 'high' : 'low';
  return {
    i,
    volume,
    // "Medium" sits on the general side of the matrix: it takes a clearly specialised domain to make the case for training.
    spec: i.domainSpecificity === 'high' ? 'high' : 'low',
    apiMonthly,
    upfront,
    breakEven: savings > 0 ? upfront / savings : null,
    selfHost: volume === 'high' || i.dataSovereignty || i.latency === 'realtime',
  };
}

interface Scored {
  approaches: ApproachId[];
  id: string;
  score: number;
}

/** Scores of the single approaches (unclamped), and which rules fired. */
function scoreSingles(c: Ctx, fired?: Map<ApproachId, Rule[]>): Record<ApproachId, number> {
  const s = { ...BASE_SCORE };
  for (const rule of RULES) {
    if (!rule.when(c)) continue;
    for (const a of rule.approaches) {
      s[a] += rule.weight;
      fired?.get(a)?.push(rule);
    }
  }
  return s;
}

/**
 * Raw sums can pass 100 when many rules agree; above 80 they are squashed (monotone, never reaching
 * 100) so that "strong" and "overwhelming" stay distinguishable instead of tying at the cap.
 */
const squash = (x: number): number => Math.max(0, Math.round(x <= 80 ? x : 80 + 20 * (1 - Math.exp(-(x - 80) / 20))));
const BASES: ApproachId[] = ['rag', 'sft', 'continued-pretraining'];
const ADD_ONS: ApproachId[] = ['persona-tuning', 'tool-calling-sft', 'dpo'];
const order = (a: ApproachId, b: ApproachId): number => approachIds.indexOf(a) - approachIds.indexOf(b);

/**
 * Singles plus combinations, sorted. A combination is the best base (RAG or SFT, if it scores ≥ 60)
 * plus every other base or add-on that scores ≥ JOIN_SCORE on its own, i.e. a distinct need the base
 * alone does not cover; with two or more add-ons, the base with each add-on is offered as well. A
 * combination scores as its best part plus a quarter of each other part's lead over 50, so it
 * outranks its parts only when they are all clearly wanted.
 */
function rank(single: Record<ApproachId, number>): Scored[] {
  const out: Scored[] = approachIds.map((a) => ({ approaches: [a], id: a, score: single[a] }));
  const base: ApproachId = single.sft > single.rag ? 'sft' : 'rag';
  if (single[base] >= 60) {
    const bases = BASES.filter((b) => b !== base && single[b] >= JOIN_SCORE);
    const addOns = ADD_ONS.filter((a) => single[a] >= JOIN_SCORE);
    const sets: ApproachId[][] = [[base, ...bases, ...addOns]];
    if (addOns.length > 1 || (addOns.length && bases.length)) for (const a of addOns) sets.push([base, a]);
    for (const set of sets) {
      if (set.length < 2) continue;
      const parts = set.sort(order);
      const scores = parts.map((p) => single[p]);
      const best = Math.max(...scores);
      const score = best + scores.reduce((sum, x) => sum + Math.max(0, x - 50) * 0.25, 0) - Math.max(0, best - 50) * 0.25;
      out.push({ approaches: parts, id: parts.join('+'), score });
    }
  }
  // Ties go to the simpler answer (fewer parts), then to the cheaper approach (table order).
  out.sort((a, b) => b.score - a.score || a.approaches.length - b.approaches.length || order(a.approaches[0], b.approaches[0]));
  for (const s of out) s.score = squash(s.score);
  return out;
}

function topOf(i: DecisionInputs): Scored {
  return rank(scoreSingles(context(i)))[0];
}

/**
 * Ranks every approach (and the combinations worth offering) for the given answers. `fromProject`
 * holds values read from the workspace (datasets, `volume:`); the user's answers win over them.
 */
export function decide(inputs: Partial<DecisionInputs>, fromProject?: Partial<DecisionInputs>): DecisionResult {
  const resolved = resolveInputs(inputs, fromProject);
  const i = resolved.inputs;
  const c = context(i);
  const fired = new Map<ApproachId, Rule[]>(approachIds.map((a) => [a, []]));
  const single = scoreSingles(c, fired);
  const ranked = rank(single);
  const probes = whatIf(i, ranked[0]);

  const recommendation: Recommendation[] = ranked.map((s, n) => {
    const reasons = reasonsFor(s, c, fired);
    return {
      approaches: s.approaches,
      id: s.id,
      title: approachTitle(s.approaches),
      score: s.score,
      reasons,
      whatWouldChange: n === 0 ? probes.filter((p) => p.top.id !== s.id).map((p) => `${p.text}, ${lowerFirst(approachTitle(p.top.approaches))} would rank first.`).slice(0, 6) : probes.filter((p) => p.top.id === s.id).map((p) => `${p.text}, this would rank first.`).slice(0, 4),
      risks: RISKS.filter((k) => k.approaches.some((a) => s.approaches.includes(a)) && (!k.when || k.when(c))).map((k) => k.text),
      nextSteps: nextStepsFor(s.approaches, c),
    };
  });

  const r = computeRoi({ apiMonthlyUsd: c.apiMonthly, customMonthlyUsd: i.customMonthlyUsd, setupHours: i.setupHours, hourlyRateUsd: i.hourlyRateUsd, trainingCostUsd: i.trainingCostUsd });
  return {
    recommendation,
    matrix: matrixPosition(i),
    roi: { apiMonthlyUsd: c.apiMonthly, customMonthlyUsd: i.customMonthlyUsd, ...r },
    breakEvenMonths: r.breakEvenMonths,
    inputs: i,
    fromProject: resolved.fromProject,
  };
}

/** The combination's reasons: each part's rules, strongest first, without repeats. */
function reasonsFor(s: Scored, c: Ctx, fired: Map<ApproachId, Rule[]>): Reason[] {
  const rules = new Set<Rule>();
  for (const a of s.approaches) for (const rule of fired.get(a) ?? []) rules.add(rule);
  const list = [...rules].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
  const out: Reason[] = list.map((rule) => ({ text: rule.reason(c), inputs: rule.inputs, effect: rule.weight >= 0 ? 'for' : 'against' }));
  if (s.approaches.length > 1) {
    out.unshift({ text: `Combines ${s.approaches.map((a) => SHORT[a]).join(', ')}: each covers a need the others do not.`, inputs: [...new Set(list.filter((x) => x.weight > 0).flatMap((x) => x.inputs))], effect: 'for' });
  }
  return out;
}

/** The 2×2 cell and the marker position: x = volume (log scale, 1k → 0, 100k → 0.5, 10M → 1), y = specificity. */
export function matrixPosition(i: Pick<DecisionInputs, 'monthlyRequests' | 'domainSpecificity'>): MatrixPosition {
  const volume = i.monthlyRequests >= VOLUME_HIGH ? 'high' : 'low';
  const specificity = i.domainSpecificity === 'high' ? 'high' : 'low';
  const cell: MatrixCell = volume === 'low' ? (specificity === 'low' ? 'foundation-model-is-fine' : 'evaluate-case-by-case') : specificity === 'low' ? 'rag-might-suffice' : 'strong-case-for-fine-tuning';
  const x = Math.max(0, Math.min(1, (Math.log10(Math.max(1, i.monthlyRequests)) - 3) / 4));
  const y = ({ low: 1 / 6, medium: 0.4, high: 5 / 6 } satisfies Record<Level, number>)[i.domainSpecificity];
  return { volume, specificity, cell, x, y };
}

export const matrixCellLabels: Record<MatrixCell, string> = {
  'foundation-model-is-fine': 'Foundation model is fine',
  'rag-might-suffice': 'RAG might suffice',
  'evaluate-case-by-case': 'Evaluate case by case',
  'strong-case-for-fine-tuning': 'Strong case for fine-tuning',
};

interface Probe {
  text: string;
  top: Scored;
}

/** Re-runs the engine with one input moved at a time; keeps the moves that change the top answer. */
function whatIf(i: DecisionInputs, top: Scored): Probe[] {
  const out: Probe[] = [];
  const tryWith = (patch: Partial<DecisionInputs>, text: string): void => {
    const t = topOf({ ...i, ...patch });
    if (t.id !== top.id) out.push({ text, top: t });
  };
  const volume = (dir: -1 | 1): void => {
    // Walk in ×2 steps until the answer changes, then bisect (log scale) to the boundary.
    let same = i.monthlyRequests;
    let changed: number | null = null;
    let t: Scored | null = null;
    for (let v = dir < 0 ? Math.floor(i.monthlyRequests / 2) : Math.max(1000, i.monthlyRequests * 2); dir < 0 ? v >= 100 : v <= 1e9; v = dir < 0 ? Math.floor(v / 2) : v * 2) {
      const s = topOf({ ...i, monthlyRequests: v });
      if (s.id !== top.id) {
        changed = v;
        t = s;
        break;
      }
      same = v;
    }
    if (changed === null || t === null) return;
    for (let k = 0; k < 14; k++) {
      const mid = Math.round(Math.sqrt(same * changed));
      if (mid === same || mid === changed) break;
      const s = topOf({ ...i, monthlyRequests: mid });
      if (s.id !== top.id) {
        changed = mid;
        t = s;
      } else same = mid;
    }
    const boundary = roundSig(dir < 0 ? same : changed);
    out.push({ text: `If volume were ${dir < 0 ? 'below' : 'above'} ~${compact(boundary)}/month`, top: t });
  };
  volume(-1);
  volume(1);
  for (const l of ['low', 'medium', 'high'] as const) if (l !== i.domainSpecificity) tryWith({ domainSpecificity: l }, `If domain specificity were ${l}`);
  tryWith({ knowledgeKind: i.knowledgeKind === 'facts' ? 'behaviour' : 'facts' }, i.knowledgeKind === 'facts' ? 'If the task were about behaviour and format rather than facts' : 'If answers were factual look-ups in documents');
  for (const l of ['rarely', 'monthly', 'weekly'] as const) if (l !== i.changeRate) tryWith({ changeRate: l }, l === 'weekly' ? 'If requirements changed weekly' : l === 'rarely' ? 'If knowledge and requirements rarely changed' : 'If requirements changed about monthly');
  for (const l of ['low', 'medium', 'high'] as const) if (l !== i.brandVoice) tryWith({ brandVoice: l }, `If brand voice mattered ${l === 'low' ? 'little' : l === 'medium' ? 'somewhat' : 'a lot'}`);
  tryWith({ toolCalling: !i.toolCalling }, i.toolCalling ? 'If no tool calling were needed' : 'If the model had to call tools');
  tryWith({ safetyIssues: !i.safetyIssues }, i.safetyIssues ? 'Without safety or preference problems' : 'If the model said the wrong kind of thing despite instructions');
  tryWith({ dataSovereignty: !i.dataSovereignty }, i.dataSovereignty ? 'If data could go to a hosted API' : 'If data had to stay on your infrastructure');
  for (const l of ['relaxed', 'interactive', 'realtime'] as const) if (l !== i.latency) tryWith({ latency: l }, l === 'realtime' ? 'If answers had to arrive in a few hundred ms' : l === 'relaxed' ? 'If seconds of latency were fine' : 'If ~1 s latency were the need');
  for (const n of [0, RECOMMENDED_EXAMPLES, PLENTY_EXAMPLES]) if (band(n) !== band(i.labelledExamples)) tryWith({ labelledExamples: n }, `If you had ${int(n)} clean labelled examples`);
  for (const n of [0, RECOMMENDED_PREFERENCE_PAIRS * 2]) if (pairBand(n) !== pairBand(i.preferencePairs)) tryWith({ preferencePairs: n }, `If you had ${int(n)} preference pairs`);
  if (i.teamHours < i.setupHours) tryWith({ teamHours: i.setupHours }, `If the team had ${int(i.setupHours)} hours for the setup`);
  else tryWith({ teamHours: Math.floor(i.setupHours / 2) }, `If the team had only ${int(Math.floor(i.setupHours / 2))} hours`);
  tryWith({ apiCostPerQuery: i.apiCostPerQuery * 2 }, `If the API cost ${usd(i.apiCostPerQuery * 2)} per query`);
  tryWith({ apiCostPerQuery: i.apiCostPerQuery / 2 }, `If the API cost ${usd(i.apiCostPerQuery / 2)} per query`);
  return out;
}

const band = (n: number | null): number => (n === null ? -1 : n < MIN_EXAMPLES ? 0 : n < RECOMMENDED_EXAMPLES ? 1 : n < PLENTY_EXAMPLES ? 2 : 3);
const pairBand = (n: number | null): number => (n === null ? -1 : n < MIN_PREFERENCE_PAIRS ? 0 : n < RECOMMENDED_PREFERENCE_PAIRS ? 1 : 2);

function nextStepsFor(approaches: ApproachId[], c: Ctx): Recommendation['nextSteps'] {
  const steps: Recommendation['nextSteps'] = [];
  const trained = approaches.filter((a) => TRAINED.includes(a) && a !== 'continued-pretraining');
  const n = c.i.labelledExamples;
  if (approaches.includes('prompt-engineering')) steps.push({ text: 'Write the system prompt and a small evaluation set (20–50 real questions) to measure it before customising anything.' });
  if (approaches.includes('rag')) steps.push({ text: 'Collect the documents to retrieve from, and measure answers with and without retrieval on a small evaluation set.' });
  if (trained.length) {
    if (n === null || n < RECOMMENDED_EXAMPLES) steps.push({ text: n === null ? `Collect at least ${RECOMMENDED_EXAMPLES} clean examples in a JSONL dataset and lint it.` : `Collect more clean examples: ${int(n)} now, ${RECOMMENDED_EXAMPLES}+ recommended.`, command: 'llmops.lintWorkspace' });
    else steps.push({ text: 'Lint the training datasets (duplicates, PII, format) before training.', command: 'llmops.lintWorkspace' });
    if (approaches.includes('dpo') && (c.i.preferencePairs ?? 0) < RECOMMENDED_PREFERENCE_PAIRS) steps.push({ text: `Collect preference pairs (prompt, chosen, rejected): ${RECOMMENDED_PREFERENCE_PAIRS}+ recommended.` });
    for (const a of trained) steps.push({ text: `Create a starter ${SHORT[a]} training config.`, command: 'llmops.createTrainingConfig', args: [a] });
    steps.push({ text: 'Check the training and serving cost against the API.', command: 'llmops.showCostBreakdown' });
  }
  if (approaches.includes('continued-pretraining')) steps.push({ text: 'Estimate the size of your unlabelled domain corpus (tokens) and the GPU hours to pretrain on it.' });
  steps.push({ text: 'Export this decision as docs/decision.md for stakeholders.', command: 'llmops.exportDecisionReport' });
  return steps;
}

// Formatting (no Intl in the hot path: these only run for the final result's text).
function int(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
/** 500k, 1.5M, 2,000. */
export function compact(n: number): string {
  if (n >= 1e6) return `${trim((n / 1e6).toFixed(n >= 1e7 ? 0 : 1))}M`;
  if (n >= 1e4) return `${trim((n / 1e3).toFixed(0))}k`;
  return int(n);
}
function usd(x: number): string {
  if (x >= 100) return `$${int(x)}`;
  if (x >= 1) return `$${trim(x.toFixed(2))}`;
  return x > 0 ? `$${trim(x.toPrecision(2))}` : '$0';
}
const trim = (s: string): string => (s.includes('.') ? s.replace(/\.?0+$/, '') : s);
function months(m: number | null): string {
  if (m === null) return 'never';
  return m < 1 ? 'under a month' : `${trim(m.toFixed(1))} months`;
}
function roundSig(n: number): number {
  if (n <= 0) return 0;
  const p = Math.pow(10, Math.floor(Math.log10(n)) - 1);
  return Math.round(n / p) * p;
}
const lowerFirst = (s: string): string => (/^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s);
