import { atLine, LineLinter, RuleSet, runFileRules, type LineResult } from './engine';
import { FileAccumulator, finishFile, type JsonlLint } from './jsonl';
import { summarizeFormats } from '../dataset/formats';
import { defaultLintConfig, type Finding } from './types';

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}

const LINE_BREAK = /\r\n|\r|\n/;

/** Splice that survives inserting 1,000,000 lines (spread arguments have an engine limit). */
function splice<T>(arr: T[], start: number, deleteCount: number, items: T[]): T[] {
  if (items.length < 20_000) {
    arr.splice(start, deleteCount, ...items);
    return arr;
  }
  return arr.slice(0, start).concat(items, arr.slice(start + deleteCount));
}

/**
 * A JSON Lines document kept as lines, with each line's lint result cached. Edits (LSP incremental
 * changes) mark only the touched lines dirty, so a keystroke in a 100,000-line file re-lints one
 * record. Rules across records (duplicates, …) run in `settle()`, which the server calls once typing
 * pauses; until then their last findings stay on their (shifted) lines.
 */
export class JsonlDocument {
  private lines: string[];
  private results: (LineResult | null)[];
  /** File-rule findings per line (on line 0), from the last settle(); undefined where stale. */
  private fileFindings: (Finding[] | undefined)[];
  private linter: LineLinter;
  /** Lines re-linted by the last `lint()`; tests and benchmarks read it. */
  lastReparsed = 0;
  private cached: JsonlLint | null = null;
  /** True when records changed since the last settle(). */
  unsettled = true;

  constructor(
    text: string,
    private ruleSet: RuleSet = new RuleSet(defaultLintConfig),
  ) {
    this.lines = text.split(LINE_BREAK);
    this.results = new Array<LineResult | null>(this.lines.length).fill(null);
    this.fileFindings = new Array<Finding[] | undefined>(this.lines.length).fill(undefined);
    this.linter = new LineLinter(ruleSet);
  }

  get lineCount(): number {
    return this.lines.length;
  }

  line(i: number): string {
    return this.lines[i] ?? '';
  }

  getText(eol = '\n'): string {
    return this.lines.join(eol);
  }

  get rules(): RuleSet {
    return this.ruleSet;
  }

  ruleSetIs(ruleSet: RuleSet): boolean {
    return this.ruleSet === ruleSet;
  }

  /** New rules or severities: every line is linted again. */
  setRuleSet(ruleSet: RuleSet): void {
    this.ruleSet = ruleSet;
    this.linter = new LineLinter(ruleSet);
    this.results.fill(null);
    this.fileFindings.fill(undefined);
    this.cached = null;
    this.unsettled = true;
  }

  /** Applies one LSP content change; without a range the text replaces the document. */
  applyChange(text: string, range?: Range): void {
    this.cached = null;
    this.unsettled = true;
    if (!range) {
      this.lines = text.split(LINE_BREAK);
      this.results = new Array<LineResult | null>(this.lines.length).fill(null);
      this.fileFindings = new Array<Finding[] | undefined>(this.lines.length).fill(undefined);
      return;
    }
    const last = this.lines.length - 1;
    const clamp = (p: Position): Position =>
      p.line > last ? { line: last, character: this.lines[last].length } : { line: Math.max(0, p.line), character: Math.max(0, p.character) };
    const start = clamp(range.start);
    const end = clamp(range.end);
    const prefix = this.lines[start.line].slice(0, start.character);
    const suffix = this.lines[end.line].slice(end.character);
    const inserted = text.split(LINE_BREAK);
    inserted[0] = prefix + inserted[0];
    inserted[inserted.length - 1] += suffix;
    const removed = end.line - start.line + 1;
    this.lines = splice(this.lines, start.line, removed, inserted);
    this.results = splice(this.results, start.line, removed, new Array<LineResult | null>(inserted.length).fill(null));
    this.fileFindings = splice(this.fileFindings, start.line, removed, new Array<Finding[] | undefined>(inserted.length).fill(undefined));
  }

  /** Walks the cached line results (linting dirty lines) into an accumulator. */
  private accumulate(collect: boolean): FileAccumulator {
    const { lines, results } = this;
    const acc = new FileAccumulator();
    acc.collectFileData = collect;
    let reparsed = 0;
    // A final line terminator does not start a record line.
    const n = lines.length > 1 && lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
    for (let i = 0; i < n; i++) {
      let r = results[i];
      if (r === null) {
        let line = lines[i];
        const bom = i === 0 && line.charCodeAt(0) === 0xfeff;
        if (bom) line = line.slice(1);
        r = this.linter.lint(line);
        if (bom) r = shiftResult(r, 1);
        results[i] = r;
        reparsed++;
      }
      acc.add(i, r);
    }
    acc.lines = n;
    this.lastReparsed = reparsed;
    return acc;
  }

  /** Per-record findings now, plus the file-rule findings of the last settle() on unchanged lines. */
  lint(): JsonlLint {
    if (this.cached) {
      this.lastReparsed = 0;
      return this.cached;
    }
    const acc = this.accumulate(false);
    const n = acc.lines;
    const out = finishFile(acc, this.ruleSet, () => this.getText(), (k) => this.line(k), false);
    if (out.findings.length !== 1 || out.findings[0].rule !== 'multiline-json-not-jsonl') {
      let added = false;
      for (let i = 0; i < n; i++) {
        const ff = this.fileFindings[i];
        if (ff) {
          for (const f of ff) out.findings.push(atLine(f, i));
          added = true;
        }
      }
      if (added) out.findings.sort((a, b) => a.line - b.line || a.column - b.column);
    }
    this.cached = out;
    return out;
  }

  /** Runs the rules across records (duplicates, balance, …) and returns the complete lint. */
  settle(): JsonlLint {
    const base = this.lint();
    if (!this.unsettled) return base;
    this.unsettled = false;
    const acc = this.accumulate(true);
    this.fileFindings.fill(undefined);
    if (this.ruleSet.fileRules.length && !(base.findings.length === 1 && base.findings[0].rule === 'multiline-json-not-jsonl')) {
      const fmt = summarizeFormats(acc.formatCounts);
      const found = runFileRules(this.ruleSet, acc.collected, {
        format: fmt.format,
        formatCounts: fmt.counts as Record<string, number>,
        records: acc.records,
        config: this.ruleSet.config,
        lineText: (k) => this.line(k),
      });
      for (const f of found) (this.fileFindings[f.line] ??= []).push(atLine(f, -f.line));
    }
    this.cached = null;
    return this.lint();
  }
}

function shiftFinding(f: Finding, by: number): Finding {
  const out: Finding = { ...f, column: f.column + by, endColumn: f.endColumn + by };
  if (f.fix?.edits) out.fix = { ...f.fix, edits: f.fix.edits.map((e) => ({ ...e, startColumn: e.startColumn + by, endColumn: e.endColumn + by })) };
  return out;
}

/** Moves a first-line result right by the BOM the linter did not see. */
function shiftResult(r: LineResult, by: number): LineResult {
  return {
    ...r,
    error: r.error ? { ...r.error, offset: r.error.offset + by } : null,
    findings: r.findings ? r.findings.map((f) => shiftFinding(f, by)) : null,
  };
}
