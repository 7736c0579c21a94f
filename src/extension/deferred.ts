/**
 * Everything the extension needs that is expensive to evaluate — vscode-languageclient and the zod
 * schemas — bundled separately (dist/deferred.js) and loaded right after activate() returns.
 * Evaluating them cost ~100 ms on a busy 2-core machine, more than the whole activation budget.
 */
export { CloseAction, ErrorAction, LanguageClient, State, TransportKind } from 'vscode-languageclient/node';
export { WebviewToExtension } from '../protocol/sidebarSchema';
export { DecisionWebviewToExtension } from '../protocol/decisionWebviewSchema';
