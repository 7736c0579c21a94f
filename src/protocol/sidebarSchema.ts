/**
 * zod schemas of what the Project sidebar webview may send, validated on the extension host.
 * zod/mini keeps the extension bundle small (activation time is a target).
 */
import * as z from 'zod/mini';

/** Sent by the webview when its script has loaded; the extension answers with `state`. */
export const ReadyMessage = z.strictObject({ type: z.literal('ready') });
/** Sent by the webview: the user asked to refresh the dataset list. */
export const RefreshMessage = z.strictObject({ type: z.literal('refresh') });
/** Sent by the webview: open a dataset (must be one the extension listed). */
export const OpenDatasetMessage = z.strictObject({ type: z.literal('openDataset'), uri: z.string().check(z.maxLength(4096)) });
/** Sent by the webview: run a palette command that the sidebar offers (allowlisted). */
export const RunCommandMessage = z.strictObject({
  type: z.literal('runCommand'),
  command: z.enum(['llmops.lintWorkspace', 'llmops.showLogs', 'llmops.restartRuntime']),
});

export const WebviewToExtension = z.discriminatedUnion('type', [ReadyMessage, RefreshMessage, OpenDatasetMessage, RunCommandMessage]);
export type WebviewToExtension = z.infer<typeof WebviewToExtension>;
