/**
 * Messages between the Decision sidebar webview (webviews/decision) and the extension host
 * (src/extension/decisionView.ts). The extension validates everything the webview sends (untrusted
 * input) with the zod schemas in decisionWebviewSchema.ts; the webview checks what it receives with
 * the guards here (no zod in the webview bundle).
 */
import type { ApproachId, DecisionInputs } from '../core/decision/types';
import type { DecisionState, SavedDecision } from './decision';
import type { RuntimeStateName } from './sidebar';

/** Commands the webview may ask the extension to run (next steps, toolbar). Anything else is refused. */
export const decisionViewCommands = [
  'llmops.createTrainingConfig',
  'llmops.exportDecisionReport',
  'llmops.lintWorkspace',
  'llmops.showCostBreakdown',
  'llmops.refreshProject',
  'llmops.showLogs',
] as const;
export type DecisionViewCommand = (typeof decisionViewCommands)[number];

export const isDecisionViewCommand = (c: unknown): c is DecisionViewCommand => typeof c === 'string' && (decisionViewCommands as readonly string[]).includes(c);

/**
 * Upper bounds of the numeric answers: sanity limits wider than any real project (not the engine's
 * advice). The extension's schema enforces them and the webview's number fields check them first.
 */
export const answerMaximum = {
  monthlyRequests: 1e12,
  labelledExamples: 1e10,
  preferencePairs: 1e10,
  budgetUsd: 1e10,
  teamHours: 1e7,
  apiCostPerQuery: 1e3,
  customMonthlyUsd: 1e10,
  setupHours: 1e7,
  hourlyRateUsd: 1e5,
  trainingCostUsd: 1e10,
} as const satisfies Partial<Record<keyof DecisionInputs, number>>;

/** What the extension knows and the webview renders (the answers themselves live in the webview). */
export interface DecisionViewState {
  runtime: RuntimeStateName;
  /** Workspace folder count (0: no folder open; saving needs one). */
  folders: number;
  /** The project's decision state from the runtime; null until its first answer. */
  project: DecisionState | null;
  /** Set while a request to the runtime is in flight. */
  loading: boolean;
  /** Set while a save is in flight (the Save button is disabled). */
  saving: boolean;
  /** The runtime could not be asked (not a problem of llmops.yaml, which is `project.problem`). */
  error?: string;
  /** When the view was opened (epoch ms, extension host clock): the webview measures its first paint from it. */
  openedAt?: number;
}

/** Extension → webview: the whole state to render (replaces the previous one). */
export interface DecisionStateMessage {
  type: 'state';
  state: DecisionViewState;
}

/** Extension → webview: a save finished; `saved` is what llmops.yaml now holds (the answers are clean). */
export interface DecisionSavedMessage {
  type: 'saved';
  /** The answers the save was asked for (echoed, so the webview knows which edit it confirms). */
  inputs: Partial<DecisionInputs>;
  saved: SavedDecision;
  /** Workspace-relative path of the file written (e.g. "llmops.yaml"). */
  path: string;
}

/** Extension → webview: a save was refused or failed (llmops.yaml untouched). */
export interface DecisionSaveFailedMessage {
  type: 'saveFailed';
  message: string;
  line?: number;
}

export type DecisionExtensionToWebview = DecisionStateMessage | DecisionSavedMessage | DecisionSaveFailedMessage;

const hasType = (m: unknown, t: string): boolean => typeof m === 'object' && m !== null && (m as { type?: unknown }).type === t;

export const isDecisionStateMessage = (m: unknown): m is DecisionStateMessage => hasType(m, 'state') && typeof (m as { state?: unknown }).state === 'object';
export const isDecisionSavedMessage = (m: unknown): m is DecisionSavedMessage =>
  hasType(m, 'saved') && typeof (m as { saved?: unknown }).saved === 'object' && typeof (m as { inputs?: unknown }).inputs === 'object';
export const isDecisionSaveFailedMessage = (m: unknown): m is DecisionSaveFailedMessage => hasType(m, 'saveFailed') && typeof (m as { message?: unknown }).message === 'string';

/**
 * Webview → extension messages. Their zod schemas (decisionWebviewSchema.ts) are the source of truth;
 * these interfaces are what the webview builds (kept in step by a unit test).
 */
export type DecisionWebviewToExtension =
  /** The script loaded; the extension answers with `state`. */
  | { type: 'ready' }
  /** Ask the runtime for the project's state again. */
  | { type: 'refresh' }
  /** The current answers and the top recommendation, so palette commands (report, starter config) use them. */
  | { type: 'answers'; inputs: Partial<DecisionInputs>; top: ApproachId[] | null; dirty: boolean }
  /** Save the answers into llmops.yaml's `decision:` section. */
  | { type: 'save'; inputs: Partial<DecisionInputs> }
  /** Run an allowlisted command; `approach` goes to llmops.createTrainingConfig. */
  | { type: 'runCommand'; command: DecisionViewCommand; approach?: ApproachId }
  /** Open a file the extension listed (lifecycle files, llmops.yaml), optionally at a 1-based line. */
  | { type: 'openFile'; path: string; line?: number }
  /** Timings measured in the webview (ms), for the log and the real-editor test. */
  | { type: 'perf'; firstPaintMs: number; paintedAt: number; updateMs: number[] };
