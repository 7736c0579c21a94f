/**
 * Messages between the extension (language client) and the runtime (language server), beyond LSP.
 * Typed once here and imported by both sides. Method names all start with `llmops/`.
 */

/** A typed request: `method` plus phantom parameter and result types. */
export interface RequestDef<P, R> {
  readonly method: string;
  /** Never set; carries the types. */
  readonly _types?: [P, R];
}
/** A typed notification. */
export interface NotificationDef<P> {
  readonly method: string;
  readonly _types?: P;
}

const request = <P, R>(method: string): RequestDef<P, R> => ({ method });
const notification = <P>(method: string): NotificationDef<P> => ({ method });

/** Options the extension passes in `initializationOptions` and on configuration changes. */
export interface RuntimeSettings {
  /** Cap on diagnostics published per file; the rest are summarised in one hint. */
  maxProblemsPerFile: number;
  /** Glob patterns (relative to a workspace folder) never scanned for datasets. */
  exclude: string[];
  /** CodeLens with tokens and cost at the top of each dataset. */
  costLens: boolean;
  /** Per-record token counts as inlay hints: on, off, or auto (files up to 10,000 lines). */
  inlayHints: 'on' | 'off' | 'auto';
}

export const defaultRuntimeSettings: RuntimeSettings = {
  maxProblemsPerFile: 1000,
  exclude: ['**/node_modules/**', '**/.git/**', '**/.llmops/**', '**/.venv/**', '**/__pycache__/**'],
  costLens: true,
  inlayHints: 'auto',
};

export interface DatasetSummary {
  /** file: URI. */
  uri: string;
  /** Path relative to its workspace folder, with `/` separators. */
  path: string;
  /** Name of the workspace folder holding it (multi-root workspaces). */
  folder: string;
  bytes: number;
  records: number;
  /** Detected record format (`openai-chat`, ...), `mixed`, or null when unknown. */
  format: string | null;
  errors: number;
  warnings: number;
  /** Set when the file could not be read (deleted, permissions, too large). */
  readError?: string;
  /** True when the numbers come from an editor buffer edited since it was opened or saved. */
  dirty: boolean;
}

export interface DatasetsResult {
  datasets: DatasetSummary[];
  /** True when the scan stopped at the file limit. */
  truncated: boolean;
  durationMs: number;
}

/** Sent by the extension (sidebar): every dataset in the workspace with its lint totals. */
export const DatasetsRequest = request<Record<string, never>, DatasetsResult>('llmops/datasets');

export interface LintWorkspaceResult {
  files: number;
  records: number;
  errors: number;
  warnings: number;
  durationMs: number;
}

/**
 * Sent by the extension (command "Lint Workspace Datasets"): lints every dataset, publishes
 * diagnostics for files that are not open, and returns the totals.
 */
export const LintWorkspaceRequest = request<Record<string, never>, LintWorkspaceResult>('llmops/lintWorkspace');

export interface RuntimeInfo {
  pid: number;
  version: string;
  node: string;
  startedAt: string;
}

/** Sent by the extension: facts about the running runtime (status bar tooltip, tests). */
export const RuntimeInfoRequest = request<Record<string, never>, RuntimeInfo>('llmops/runtimeInfo');

/** Sent by the runtime when dataset totals may have changed (edits, file events); the sidebar re-asks. */
export const DatasetsChangedNotification = notification<{ uris: string[] }>('llmops/datasetsChanged');
