/**
 * Messages for the decision framework between the runtime, the extension host and the Decision
 * webview. The engine itself (src/core/decision/engine.ts) is pure and small: the webview bundles it
 * and recomputes the recommendation on every answer (no round trip); the runtime supplies what only
 * it knows (the project's datasets, configs, runs and the saved `decision:` section) and computes the
 * edit that saves a decision into llmops.yaml, which the extension applies as a WorkspaceEdit (undoable,
 * never behind the back of an open, dirty editor).
 */
import type { ApproachId, DecisionInputs, DecisionResult, InputId } from '../core/decision/types';
import type { NotificationDef, RequestDef } from './runtime';

/** The `decision:` section of llmops.yaml, as saved (snake_case keys in the file; camelCase here). */
export interface SavedDecision {
  /** ISO date (YYYY-MM-DD) the decision was saved. */
  date: string;
  /** Increments on every save, so a pull request shows the decision was revisited. */
  revision: number;
  /** Only the inputs the user set (defaults and project-derived values are not written). */
  inputs: Partial<DecisionInputs>;
  /** The top recommendation id (e.g. 'rag+persona-tuning') and its approaches. */
  result: { id: string; approaches: ApproachId[]; score: number; breakEvenMonths: number | null };
  /** The reasons of the top recommendation, one line each. */
  rationale: string[];
}

export type StageName = 'data' | 'training' | 'evaluation' | 'deployment' | 'monitoring';

/** This project's status at one lifecycle stage. */
export interface StageStatus {
  stage: StageName;
  /** none: nothing yet; partial: started, with problems or incomplete; done: in good shape. */
  state: 'none' | 'partial' | 'done';
  /** One line, e.g. "3 datasets, 2 errors in data/train.jsonl". */
  summary: string;
  /** Files behind the summary (workspace-relative paths), to open on click. */
  files: string[];
}

/** A problem with llmops.yaml that stops the decision from being read or saved. */
export interface ManifestProblem {
  message: string;
  /** 1-based line in llmops.yaml, when known. */
  line?: number;
}

/** Runtime → extension: everything the Decision view needs about the project. */
export interface DecisionState {
  /** The llmops.yaml path (absolute), or null when the workspace has none (saving creates one). */
  manifestPath: string | null;
  /** The saved decision, or null when none is saved. */
  saved: SavedDecision | null;
  /** Set when llmops.yaml cannot be parsed or its `decision:` section is invalid: the file is never overwritten then. */
  problem: ManifestProblem | null;
  /** Values read from the project (e.g. labelledExamples from linted datasets, monthlyRequests from `volume:`). */
  fromProject: Partial<DecisionInputs>;
  /** Where each project value came from, e.g. { labelledExamples: "data/train.jsonl (1,204 records, linted clean)" }. */
  sources: Partial<Record<InputId, string>>;
  lifecycle: StageStatus[];
}

/** Extension → runtime request: the decision state of the workspace's project. */
export interface DecisionStateParams {
  /** Workspace folder URI (the first folder when omitted). */
  folder?: string;
}
export const DecisionStateRequest: RequestDef<DecisionStateParams, DecisionState> = { method: 'llmops/decisionState' };

/** Extension → runtime request: compute the llmops.yaml text that saves `result` for `inputs`. */
export interface DecisionSaveParams {
  folder?: string;
  /** The current text of llmops.yaml (from the open editor when there is one, so unsaved edits are kept), or null to read it from disk. */
  text: string | null;
  inputs: Partial<DecisionInputs>;
}
export type DecisionSaveResult =
  | { ok: true; path: string; text: string; saved: SavedDecision }
  | { ok: false; problem: ManifestProblem };
export const DecisionSaveRequest: RequestDef<DecisionSaveParams, DecisionSaveResult> = { method: 'llmops/decisionSave' };

/** Extension → runtime request: the Markdown report of the saved (or given) decision, for docs/decision.md. */
export interface DecisionReportParams {
  folder?: string;
  inputs: Partial<DecisionInputs>;
}
export interface DecisionReportResult {
  markdown: string;
}
export const DecisionReportRequest: RequestDef<DecisionReportParams, DecisionReportResult> = { method: 'llmops/decisionReport' };

/** Extension → runtime request: a starter training config for an approach (text of `<name>.train.yaml`). */
export interface StarterTrainConfigParams {
  folder?: string;
  approach: ApproachId;
}
export interface StarterTrainConfigResult {
  /** Suggested workspace-relative file name, e.g. "sft.train.yaml". */
  fileName: string;
  text: string;
}
export const StarterTrainConfigRequest: RequestDef<StarterTrainConfigParams, StarterTrainConfigResult> = { method: 'llmops/starterTrainConfig' };

/** Runtime → extension notification: llmops.yaml, a dataset, a config or a run changed; ask for the state again. */
export const DecisionChangedNotification: NotificationDef<Record<string, never>> = { method: 'llmops/decisionChanged' };

export type { DecisionResult };
