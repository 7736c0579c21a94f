import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import { isStateMessage, type SidebarState } from '../../src/protocol/sidebar';
import type { WebviewToExtension } from '../../src/protocol/sidebarSchema';
import type { DatasetSummary } from '../../src/protocol/runtime';
import { formatLabels } from '../../src/core/dataset/formats';

interface VsCodeApi {
  postMessage(m: WebviewToExtension): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;

const labels: Record<string, string> = { ...formatLabels, mixed: 'mixed formats', unknown: 'unknown format' };

function h(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string | null)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

const plural = (n: number, w: string): string => `${n.toLocaleString('en-US')} ${w}${n === 1 ? '' : 's'}`;

const runtimeText: Record<SidebarState['runtime'], string> = {
  starting: 'Runtime starting…',
  ready: 'Runtime ready',
  restarting: 'Runtime restarting after a crash…',
  stopped: 'Runtime stopped',
  failed: 'Runtime crashed — not restarted',
};

function datasetRow(d: DatasetSummary, multiRoot: boolean): HTMLElement {
  const problems = d.errors + d.warnings + (d.readError ? 1 : 0);
  const label = multiRoot ? `${d.folder}/${d.path}` : d.path;
  const open = h('button', { class: 'link', 'data-testid': 'dataset-open', title: `Open ${label}` }, h('span', { class: 'codicon codicon-json', 'aria-hidden': 'true' }), h('span', { class: 'path' }, label));
  open.addEventListener('click', () => vscode.postMessage({ type: 'openDataset', uri: d.uri }));
  const meta = d.readError
    ? h('div', { class: 'meta error' }, d.readError)
    : h(
        'div',
        { class: 'meta' },
        h('span', { 'data-testid': 'dataset-records' }, plural(d.records, 'record')),
        ' · ',
        h('span', {}, formatBytes(d.bytes)),
        ' · ',
        h('span', { 'data-testid': 'dataset-format' }, d.format ? labels[d.format] ?? d.format : '—'),
        d.dirty ? h('span', { class: 'dirty', title: 'Counts from the editor buffer, changed since it was last saved' }, ' · edited') : null,
      );
  const badge = h(
    'vscode-badge',
    {
      'data-testid': 'dataset-problems',
      variant: 'counter',
      class: d.errors || d.readError ? 'has-errors' : d.warnings ? 'has-warnings' : 'clean',
      title: `${plural(d.errors, 'error')}, ${plural(d.warnings, 'warning')}`,
      'aria-label': `${problems} problems`,
    },
    String(problems),
  );
  return h('li', { class: 'row', 'data-testid': 'dataset-row', 'data-path': d.path }, h('div', { class: 'main' }, open, meta), badge);
}

function render(s: SidebarState): void {
  const parts: HTMLElement[] = [];
  parts.push(
    h(
      'div',
      { class: `runtime ${s.runtime}`, 'data-testid': 'runtime-state', role: 'status' },
      h('span', { class: `codicon ${s.runtime === 'ready' ? 'codicon-pass' : s.runtime === 'failed' ? 'codicon-error' : 'codicon-sync'}`, 'aria-hidden': 'true' }),
      ' ',
      runtimeText[s.runtime],
    ),
  );
  if (s.folders === 0) {
    parts.push(h('p', { class: 'muted' }, 'Open a folder that holds JSONL datasets or an llmops.yaml to see your project here.'));
  } else if (s.datasets === null) {
    parts.push(h('div', { class: 'loading' }, h('vscode-progress-ring', {}), ' Scanning the workspace for datasets…'));
  } else {
    const ds = s.datasets;
    const tot = ds.reduce((a, d) => ({ records: a.records + d.records, errors: a.errors + d.errors + (d.readError ? 1 : 0), warnings: a.warnings + d.warnings }), { records: 0, errors: 0, warnings: 0 });
    parts.push(
      h(
        'p',
        { class: 'summary', 'data-testid': 'summary' },
        `${plural(ds.length, 'dataset')} · ${plural(tot.records, 'record')} · ${plural(tot.errors, 'error')} · ${plural(tot.warnings, 'warning')}` + (s.truncated ? ' (scan stopped at the file limit)' : ''),
      ),
    );
    const lint = h('vscode-button', { 'data-testid': 'lint-workspace', secondary: '' }, 'Lint Workspace Datasets');
    lint.addEventListener('click', () => vscode.postMessage({ type: 'runCommand', command: 'llmops.lintWorkspace' }));
    const refresh = h('vscode-button', { 'data-testid': 'refresh', secondary: '', icon: 'refresh', title: 'Refresh', 'aria-label': 'Refresh' });
    refresh.addEventListener('click', () => vscode.postMessage({ type: 'refresh' }));
    parts.push(h('div', { class: 'actions' }, lint, refresh));
    const section = h('vscode-collapsible', { heading: 'Datasets', open: '', 'data-testid': 'datasets' });
    if (ds.length === 0) section.append(h('p', { class: 'muted' }, 'No .jsonl files found in this workspace.'));
    else {
      const multiRoot = s.folders > 1;
      section.append(h('ul', { class: 'datasets', role: 'list' }, ...ds.map((d) => datasetRow(d, multiRoot))));
    }
    parts.push(section);
  }
  if (s.error) parts.push(h('p', { class: 'error', role: 'alert' }, s.error));
  // Keep keyboard focus on the same dataset across re-renders.
  const focused = (document.activeElement?.closest('[data-testid=dataset-row]') as HTMLElement | null)?.dataset.path;
  app.replaceChildren(...parts);
  if (focused) (app.querySelector(`[data-path="${CSS.escape(focused)}"] [data-testid=dataset-open]`) as HTMLElement | null)?.focus();
  app.setAttribute('aria-busy', String(s.loading));
}

window.addEventListener('message', (e: MessageEvent) => {
  if (isStateMessage(e.data)) render(e.data.state);
});

vscode.postMessage({ type: 'ready' });
