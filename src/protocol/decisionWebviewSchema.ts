/**
 * zod schemas of what the Decision sidebar webview may send, validated on the extension host: the
 * webview is untrusted input. Answers are range-checked here (the webview checks them too, for the
 * user's sake), commands are an allowlist, and a file to open must also be one the extension listed
 * (checked in decisionView.ts). zod/mini keeps the extension bundle small.
 */
import * as z from 'zod/mini';
import { approachIds } from '../core/decision/types';
import { answerMaximum as max, decisionViewCommands } from './decisionWebview';

const level = z.enum(['low', 'medium', 'high']);
/** A finite number in [min, max] (zod 4 numbers are finite already). */
const num = (min: number, max: number) => z.number().check(z.minimum(min), z.maximum(max));
const count = (max: number) => z.int().check(z.minimum(0), z.maximum(max));

/**
 * The answers (every field optional: unset means the default or the project's value). The bounds are
 * the sanity limits of `answerMaximum`, not the engine's advice.
 */
export const DecisionInputsSchema = z.strictObject({
  monthlyRequests: z.optional(count(max.monthlyRequests)),
  domainSpecificity: z.optional(level),
  brandVoice: z.optional(level),
  dataSovereignty: z.optional(z.boolean()),
  latency: z.optional(z.enum(['relaxed', 'interactive', 'realtime'])),
  changeRate: z.optional(z.enum(['rarely', 'monthly', 'weekly'])),
  knowledgeKind: z.optional(z.enum(['facts', 'behaviour', 'both'])),
  toolCalling: z.optional(z.boolean()),
  safetyIssues: z.optional(z.boolean()),
  labelledExamples: z.optional(z.nullable(count(max.labelledExamples))),
  preferencePairs: z.optional(z.nullable(count(max.preferencePairs))),
  budgetUsd: z.optional(num(0, max.budgetUsd)),
  teamHours: z.optional(num(0, max.teamHours)),
  apiCostPerQuery: z.optional(num(0, max.apiCostPerQuery)),
  customMonthlyUsd: z.optional(num(0, max.customMonthlyUsd)),
  setupHours: z.optional(num(0, max.setupHours)),
  hourlyRateUsd: z.optional(num(0, max.hourlyRateUsd)),
  trainingCostUsd: z.optional(num(0, max.trainingCostUsd)),
});

const approach = z.enum(approachIds);

/** Sent by the webview when its script has loaded; the extension answers with `state`. */
export const DecisionReadyMessage = z.strictObject({ type: z.literal('ready') });
/** Sent by the webview: read the project's decision state again. */
export const DecisionRefreshMessage = z.strictObject({ type: z.literal('refresh') });
/** Sent by the webview on every answer (debounced): the answers and the top recommendation. */
export const DecisionAnswersMessage = z.strictObject({
  type: z.literal('answers'),
  inputs: DecisionInputsSchema,
  top: z.nullable(z.array(approach).check(z.minLength(1), z.maxLength(approachIds.length))),
  dirty: z.boolean(),
});
/** Sent by the webview: save these answers into llmops.yaml. */
export const DecisionSaveMessage = z.strictObject({ type: z.literal('save'), inputs: DecisionInputsSchema });
/** Sent by the webview: run an allowlisted command. */
export const DecisionRunCommandMessage = z.strictObject({
  type: z.literal('runCommand'),
  command: z.enum(decisionViewCommands),
  approach: z.optional(approach),
});
/** Sent by the webview: open a file the extension listed, optionally at a 1-based line. */
export const DecisionOpenFileMessage = z.strictObject({
  type: z.literal('openFile'),
  path: z.string().check(z.minLength(1), z.maxLength(4096)),
  line: z.optional(z.int().check(z.minimum(1), z.maximum(10_000_000))),
});
/** Sent by the webview: its timings (first paint, per-answer updates), in milliseconds. */
export const DecisionPerfMessage = z.strictObject({
  type: z.literal('perf'),
  firstPaintMs: num(0, 3_600_000),
  paintedAt: num(0, 1e15),
  updateMs: z.array(num(0, 3_600_000)).check(z.maxLength(1000)),
});

export const DecisionWebviewToExtension = z.discriminatedUnion('type', [
  DecisionReadyMessage,
  DecisionRefreshMessage,
  DecisionAnswersMessage,
  DecisionSaveMessage,
  DecisionRunCommandMessage,
  DecisionOpenFileMessage,
  DecisionPerfMessage,
]);
export type DecisionWebviewToExtension = z.infer<typeof DecisionWebviewToExtension>;
