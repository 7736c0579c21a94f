/**
 * Syntax-lint throughput on a 100 MB chat-format file (one core), against the ceiling of a bare
 * JSON.parse loop over the same lines; and the in-process cost of a keystroke in a 100,000-line
 * document. Run: npx tsx test/bench/lint.ts
 */
import { readFileSync, statSync } from 'node:fs';
import { lintJsonlText } from '../../src/core/lint/jsonl';
import { JsonlDocument } from '../../src/core/lint/jsonlDocument';
import { lintDatasetBytes } from '../../src/runtime/datasetFiles';
import { chatFile, chatLine, fmt, stats } from './data';

function parseLoop(text: string): number {
  let n = 0;
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    if (nl > pos) {
      JSON.parse(text.slice(pos, nl));
      n++;
    }
    pos = nl + 1;
  }
  return n;
}

async function main(): Promise<void> {
  const file = await chatFile(100);
  const mb = statSync(file).size / 1e6;
  const buf = readFileSync(file);
  const text = buf.toString('utf8');
  const lines = text.split('\n').length - 1;
  console.log(`file: ${file} — ${fmt(mb)} MB, ${lines.toLocaleString()} lines (chat format with tool calls)`);
  const best = (f: () => unknown, runs = 5): number => {
    let b = Infinity;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      f();
      b = Math.min(b, performance.now() - t0);
    }
    return b;
  };
  // Interleave so both see the same machine state.
  const ceiling = best(() => parseLoop(text));
  const lint = best(() => lintJsonlText(text));
  const full = best(() => lintDatasetBytes(buf));
  const r = lintJsonlText(text);
  console.log(`JSON.parse loop (ceiling)        ${fmt(ceiling, 0).padStart(6)} ms  ${fmt(mb / (ceiling / 1000)).padStart(7)} MB/s`);
  console.log(`syntax lint of the text          ${fmt(lint, 0).padStart(6)} ms  ${fmt(mb / (lint / 1000)).padStart(7)} MB/s  (${fmt((100 * ceiling) / lint, 0)}% of ceiling; ${r.records.toLocaleString()} records, ${r.findings.length} findings)`);
  console.log(`bytes → UTF-8 check → decode → lint ${fmt(full, 0).padStart(3)} ms  ${fmt(mb / (full / 1000)).padStart(7)} MB/s  (what 'llmops lint' does after reading)`);

  // Keystroke in a 100,000-line document: apply the change and re-lint (in process).
  const doc = new JsonlDocument(Array.from({ length: 100_000 }, (_, i) => chatLine(i)).join('\n') + '\n');
  const t0 = performance.now();
  doc.lint();
  const first = performance.now() - t0;
  const times: number[] = [];
  for (let k = 0; k < 200; k++) {
    const line = (k * 7919) % 100_000;
    const ch = k % 2 === 0 ? 1 : 1;
    const t = performance.now();
    if (k % 2 === 0) doc.applyChange('x', { start: { line, character: ch }, end: { line, character: ch } });
    else doc.applyChange('', { start: { line: ((k - 1) * 7919) % 100_000, character: 1 }, end: { line: ((k - 1) * 7919) % 100_000, character: 2 } });
    const res = doc.lint();
    times.push(performance.now() - t);
    if (k % 2 === 0 && res.findings.length !== 1) throw new Error('expected one finding after typing');
  }
  const s = stats(times);
  console.log(`100,000-line document: first lint ${fmt(first, 0)} ms; keystroke → findings median ${fmt(s.median, 2)} ms, p95 ${fmt(s.p95, 2)} ms, max ${fmt(s.max, 2)} ms (200 edits, 1 line re-parsed each)`);
}

void main();
