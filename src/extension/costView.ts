import * as vscode from 'vscode';
import { CostBreakdownRequest, CostChangedNotification, CostSummaryRequest, type CostBreakdown, type CostSummary } from '../protocol/cost';
import { formatHours as hrs, formatInt as int, formatUsd } from '../core/cost/format';
import type { RuntimeClient } from './runtimeClient';
import { readSettings } from './settings';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const usd = (x: number | null): string => (x === null ? '—' : formatUsd(x));

function nonce(): string {
  const a = new Uint8Array(16);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The breakdown behind a dataset's cost CodeLens: the report and the same dataset priced on every
 * hosted model and GPU. Static HTML (no script at all), theme colours, content from the runtime
 * escaped.
 */
export function breakdownHtml(b: CostBreakdown, cspSource: string, n = nonce()): string {
  const head = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'nonce-${n}';"><meta name="viewport" content="width=device-width, initial-scale=1.0"><title>Cost breakdown</title><style nonce="${n}">
body{font-family:var(--vscode-font-family);font-size:var(--vscode-font-size);color:var(--vscode-foreground);padding:0 16px 24px}
table{border-collapse:collapse;margin:8px 0 16px}th,td{text-align:left;padding:3px 10px;border-bottom:1px solid var(--vscode-widget-border,var(--vscode-panel-border))}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}tr.current td{font-weight:600;background:var(--vscode-list-inactiveSelectionBackground)}
.muted{color:var(--vscode-descriptionForeground)}.bad{color:var(--vscode-errorForeground)}h1{font-size:1.3em}h2{font-size:1.1em;margin-top:20px}</style></head><body>`;
  if (!b.report) return `${head}<h1>Cost breakdown</h1><p>${esc(b.problem ?? 'No figures yet.')}</p></body></html>`;
  const r = b.report;
  const ax = r.exact ? '' : '≈';
  const rows: [string, string][] = [
    ['Model', r.model],
    ['Tokenizer', `${r.tokenizer}${r.exact ? '' : ' (estimate)'}`],
    ['Records', int(r.records)],
    ['Tokens', `${ax}${int(r.tokens)}${r.sampled < 1 ? ` (sampled ${(r.sampled * 100).toFixed(0)}%)` : ''}`],
    ['Epochs', `${r.epochs}${r.epochsDefaulted ? ' (OpenAI default for this many records)' : ''}`],
    ['Billed tokens', `${ax}${int(r.billedTokens)}${r.limit ? ` (each record clipped at ${int(r.limit.tokens)}: ${r.limit.source})` : ''}`],
    ['Fine-tuning cost', `${usd(r.trainingCostUsd)}${r.trainingCostSource === 'gpu' ? ' (GPU time)' : r.trainingPrice ? ` at $${r.trainingPrice.perMillionTokens}/1M tokens` : ''}`],
  ];
  if (r.gpu) {
    const g = r.gpu;
    const m = g.memory;
    rows.push(['GPU', `${g.name} (${g.chosen}): ${hrs(g.hours)} × $${g.hourlyUsd}/h = ${usd(g.costUsd)}; ${g.method}, ${(g.params / 1e6).toFixed(0)}M params, ${g.flops.toExponential(2)} FLOPs at ${Math.round(g.mfu * 100)}% MFU`]);
    rows.push(['GPU memory', `≈${m.totalGb.toFixed(1)} of ${m.gpuGb} GB — weights ${m.weightsGb.toFixed(1)}, adapter ${m.adapterGb.toFixed(2)}, gradients ${m.gradientsGb.toFixed(2)}, optimizer ${m.optimizerGb.toFixed(2)}, activations ${m.activationsGb.toFixed(1)}, overhead ${m.overheadGb.toFixed(1)} — ${g.fits ? 'fits' : 'does not fit'}`]);
  }
  const inf = r.inference;
  rows.push(['Per request', `${int(inf.promptTokens)} prompt + ${int(inf.outputTokens)} output tokens (${inf.tokensSource})`]);
  if (inf.hosted) rows.push([`Hosted ${inf.hosted.model}`, `${usd(inf.hosted.perRequestUsd)} per request${inf.hosted.perMonthUsd !== null ? ` · ${usd(inf.hosted.perMonthUsd)} per month at ${int(inf.monthlyRequests ?? 0)} requests` : ''}`]);
  if (inf.selfHosted) rows.push([`Self-hosted on ${inf.selfHosted.gpu}`, `${usd(inf.selfHosted.perMonthUsd)} per month (${int(inf.selfHosted.gpuHoursPerMonth)} GPU hours) · ${usd(inf.selfHosted.perRequestUsd)} per request`]);
  if (r.roi) {
    const x = r.roi;
    rows.push(['ROI', `vs ${x.apiModel} at ${usd(x.apiMonthlyUsd)}/month, ${x.custom} at ${usd(x.customMonthlyUsd)}/month saves ${usd(x.monthlySavingsUsd)}/month; upfront ${x.setupHours} h × $${x.hourlyRateUsd}/h + training = ${usd(x.upfrontUsd)} → ${x.breakEvenMonths === null ? 'no break-even' : `break-even after ${x.breakEvenMonths} months`}`]);
  }
  const table = (cells: string[][], header: string[], numeric: number[], current: boolean[]): string =>
    `<table><thead><tr>${header.map((h, i) => `<th${numeric.includes(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${cells
      .map((row, k) => `<tr${current[k] ? ' class="current"' : ''}>${row.map((c, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`)
      .join('')}</tbody></table>`;
  const hosted = b.comparison.filter((c) => c.kind === 'hosted');
  const gpus = b.comparison.filter((c) => c.kind === 'gpu');
  return `${head}<h1>Cost of fine-tuning on ${esc(r.file ?? 'this dataset')}</h1>
<table><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>
${r.notes.length ? `<ul>${r.notes.map((x) => `<li class="bad">${esc(x)}</li>`).join('')}</ul>` : ''}
${hosted.length ? `<h2>Hosted fine-tuning, same dataset</h2>${table(hosted.map((c) => [esc(c.name), esc(c.provider), esc(c.detail), esc(usd(c.costUsd)), `<span class="muted">${esc(c.source)}</span>`]), ['Model', 'Provider', 'Billed', 'Cost', 'Price source'], [3], hosted.map((c) => c.current))}` : ''}
${gpus.length ? `<h2>On your own GPU (${esc(r.gpu?.method ?? 'lora')})</h2>${table(gpus.map((c) => [esc(c.name), esc(c.provider), esc(c.detail), esc(usd(c.costUsd)), c.fits ? 'fits' : '<span class="bad">does not fit</span>', `<span class="muted">${esc(c.source)}</span>`]), ['GPU', 'Spec', 'Time', 'Cost', 'Memory', 'Source'], [3], gpus.map((c) => c.current))}` : ''}
<p class="muted">Prices: ${esc(r.catalog.source)}, snapshot ${esc(r.catalog.date)} (${esc(r.catalog.license)}). Override any price in llmops.yaml under <code>prices:</code>.</p>
</body></html>`;
}

/** Opens (or reuses) the breakdown panel for a dataset. */
export class CostBreakdownPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;

  constructor(private readonly runtime: RuntimeClient) {}

  async show(uriArg?: unknown): Promise<void> {
    const uri = typeof uriArg === 'string' ? uriArg : uriArg instanceof vscode.Uri ? uriArg.toString() : vscode.window.activeTextEditor?.document.uri.toString();
    if (!uri) {
      void vscode.window.showInformationMessage('LLMOps: open a dataset (.jsonl) to see its cost breakdown.');
      return;
    }
    const b = await this.runtime.request(CostBreakdownRequest, { uri });
    if (!b) {
      void vscode.window.showInformationMessage('LLMOps: the cost of this file is still being counted; try again in a moment.');
      return;
    }
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('llmops.costBreakdown', 'Cost breakdown', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: false, localResourceRoots: [] });
      this.panel.onDidDispose(() => (this.panel = undefined));
    }
    this.panel.title = `Cost: ${b.report?.file ?? vscode.Uri.parse(uri).path.split('/').pop()}`;
    this.panel.webview.html = breakdownHtml(b, this.panel.webview.cspSource);
    this.panel.reveal(undefined, true);
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

/** Tokens and cost of the active dataset, or of the selected records, in the status bar. */
export class CostStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('llmops.cost', vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;

  constructor(private readonly runtime: RuntimeClient) {
    this.item.name = 'LLMOps Dataset Cost';
    this.item.command = 'llmops.showCostBreakdown';
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule(0)),
      vscode.window.onDidChangeTextEditorSelection((e) => e.textEditor === vscode.window.activeTextEditor && this.schedule(150)),
      runtime.onNotification(CostChangedNotification, (p) => p.uri === vscode.window.activeTextEditor?.document.uri.toString() && this.schedule(0)),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('llmops.cost') && this.schedule(0)),
    );
    this.schedule(0);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.update(), ms);
  }

  private async update(): Promise<void> {
    const ed = vscode.window.activeTextEditor;
    if (!ed || !ed.document.uri.path.endsWith('.jsonl') || !readSettings().costStatusBar) {
      this.item.hide();
      return;
    }
    const seq = ++this.seq;
    const ranges = ed.selections.filter((s) => !s.isEmpty).map((s) => ({ start: s.start.line, end: s.end.character === 0 && s.end.line > s.start.line ? s.end.line - 1 : s.end.line }));
    let s: CostSummary | null;
    try {
      s = await this.runtime.request(CostSummaryRequest, { uri: ed.document.uri.toString(), ...(ranges.length ? { ranges } : {}) });
    } catch {
      s = null;
    }
    if (seq !== this.seq) return;
    if (!s) {
      this.item.hide();
      return;
    }
    const ax = s.exact && s.sampled === 1 ? '' : '≈';
    const cost = s.trainingCostUsd !== null ? ` · ${usd(s.trainingCostUsd)}` : '';
    this.item.text = `$(symbol-numeric) ${s.selection ? `${int(s.records)} selected · ` : ''}${ax}${int(s.tokens)} tokens${cost}`;
    this.item.tooltip = `${s.selection ? `${int(s.records)} selected records` : `${int(s.records)} records`}: ${ax}${int(s.tokens)} tokens (${s.tokenizer})${s.trainingCostUsd !== null ? `\nFine-tuning ${s.model} (${s.epochs} epochs): ${usd(s.trainingCostUsd)}${s.selection ? ' (their share)' : ''}` : ''}\nClick for the cost breakdown`;
    this.item.accessibilityInformation = { label: this.item.tooltip };
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.disposables.forEach((d) => d.dispose());
    this.item.dispose();
  }
}
