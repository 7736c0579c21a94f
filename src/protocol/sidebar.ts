/**
 * Messages between the Project sidebar webview and the extension host. The extension validates
 * everything the webview sends (it is untrusted input) with the zod schemas in sidebarSchema.ts; the
 * webview checks `type` with the guards here (no zod in the webview bundle).
 */
import type { DatasetSummary } from './runtime';

export type RuntimeStateName = 'starting' | 'ready' | 'restarting' | 'stopped' | 'failed';

export interface SidebarState {
  runtime: RuntimeStateName;
  /** Null until the first answer from the runtime. */
  datasets: DatasetSummary[] | null;
  truncated: boolean;
  /** Workspace folder count (0: no folder open). */
  folders: number;
  error?: string;
  /** Set while a refresh is in flight. */
  loading: boolean;
}

/** Sent by the extension: the whole state to render (small; replaces the previous one). */
export interface StateMessage {
  type: 'state';
  state: SidebarState;
}

export type ExtensionToWebview = StateMessage;

export const isStateMessage = (m: unknown): m is StateMessage =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'state' && typeof (m as { state?: unknown }).state === 'object';
