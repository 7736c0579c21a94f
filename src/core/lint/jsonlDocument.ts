import { formatNames } from '../dataset/formats';
import type { JsonSyntaxError } from '../dataset/jsonSyntax';
import { fileFindings, LineKind, lintLine, type InvalidLine, type JsonlLint } from './jsonl';

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}

const DIRTY = -1;
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
 * A JSON Lines document kept as lines, with the lint outcome of each line cached. Edits (LSP
 * incremental changes) mark only the touched lines dirty, so a keystroke in a 100,000-line file
 * re-parses one line; the file-level pass that follows only walks small integers.
 */
export class JsonlDocument {
  private lines: string[];
  private packed: number[];
  private errors: (JsonSyntaxError | null)[];
  /** Lines re-parsed by the last `lint()`; tests and benchmarks read it. */
  lastReparsed = 0;
  private cached: JsonlLint | null = null;

  constructor(text: string) {
    this.lines = text.split(LINE_BREAK);
    this.packed = new Array<number>(this.lines.length).fill(DIRTY);
    this.errors = new Array<JsonSyntaxError | null>(this.lines.length).fill(null);
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

  /** Applies one LSP content change; without a range the text replaces the document. */
  applyChange(text: string, range?: Range): void {
    this.cached = null;
    if (!range) {
      this.lines = text.split(LINE_BREAK);
      this.packed = new Array<number>(this.lines.length).fill(DIRTY);
      this.errors = new Array<JsonSyntaxError | null>(this.lines.length).fill(null);
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
    this.packed = splice(this.packed, start.line, removed, new Array<number>(inserted.length).fill(DIRTY));
    this.errors = splice(this.errors, start.line, removed, new Array<JsonSyntaxError | null>(inserted.length).fill(null));
  }

  lint(): JsonlLint {
    if (this.cached) {
      this.lastReparsed = 0;
      return this.cached;
    }
    const { lines, packed, errors } = this;
    const out: { error: JsonSyntaxError | null } = { error: null };
    const invalid: InvalidLine[] = [];
    const formatCounts = new Array<number>(formatNames.length).fill(0);
    let records = 0;
    let reparsed = 0;
    let firstContentInvalid: boolean | null = null;
    // A final line terminator does not start a record line.
    const n = lines.length > 1 && lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
    for (let i = 0; i < n; i++) {
      let p = packed[i];
      if (p === DIRTY) {
        let line = lines[i];
        const bom = i === 0 && line.charCodeAt(0) === 0xfeff ? 1 : 0;
        if (bom) line = line.slice(1);
        out.error = null;
        p = lintLine(line, out);
        packed[i] = p;
        const err = out.error as JsonSyntaxError | null; // written by lintLine
        errors[i] = err && bom ? { ...err, offset: err.offset + 1 } : err;
        reparsed++;
      }
      const kind = p & 3;
      if (kind === LineKind.Record) {
        records++;
        formatCounts[p >> 2]++;
      } else if (kind === LineKind.Invalid) {
        invalid.push({ line: i, error: errors[i]! });
      }
      if (kind !== LineKind.Blank && firstContentInvalid === null) firstContentInvalid = kind === LineKind.Invalid;
    }
    this.lastReparsed = reparsed;
    this.cached = fileFindings({
      invalid,
      records,
      formatCounts,
      lines: n,
      firstContentInvalid: firstContentInvalid === true,
      text: () => this.getText(),
    });
    return this.cached;
  }
}
