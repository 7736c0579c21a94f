/**
 * Lint throughput, one core, printed next to the JSON.parse ceiling of the same run:
 *  - syntax only (issue 3 target ≥ 150 MB/s) on a 100 MB chat file;
 *  - the full rule set without tokenizer rules (issue 4 target ≥ 80 MB/s) on a 200 MB chat file
 *    with tool calls and tool declarations;
 *  - a keystroke in a 100,000-line document (per-record rules) and the settle of the rules
 *    across records that follows.
 * Run bundled, as the product runs: node scripts/bench.mjs lint
 */
import { readFileSync, statSync } from 'node:fs';
import { RuleSet } from '../../src/core/lint/engine';
import { lintJsonlText } from '../../src/core/lint/jsonl';
import { JsonlDocument } from '../../src/core/lint/jsonlDocument';
import { rules } from '../../src/core/lint/rules/registry';
import { defaultLintConfig } from '../../src/core/lint/types';
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

const best = (f: () => unknown, runs = 3): number => {
  let b = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    b = Math.min(b, performance.now() - t0);
  }
  return b;
};

const syntaxOnly = rules.filter((r) => !('scope' in r));

async function main(): Promise<void> {
  // Syntax only (issue 3).
  {
    const file = await chatFile(100);
    const mb = statSync(file).size / 1e6;
    const buf = readFileSync(file);
    const text = buf.toString('utf8');
    const ceiling = best(() => parseLoop(text));
    const syntaxCfg = { ...defaultLintConfig, rules: Object.fromEntries(rules.filter((r) => 'scope' in r).map((r) => [r.name, 'off' as const])) };
    const lint = best(() => lintJsonlText(text, syntaxCfg));
    const full = best(() => lintDatasetBytes(buf, syntaxCfg));
    console.log(`syntax rules (${syntaxOnly.length}) on ${fmt(mb)} MB (${text.split('\n').length - 1} lines):`);
    console.log(`  JSON.parse loop (ceiling)           ${fmt(mb / (ceiling / 1000)).padStart(7)} MB/s`);
    console.log(`  syntax lint of the text             ${fmt(mb / (lint / 1000)).padStart(7)} MB/s`);
    console.log(`  bytes → UTF-8 check → decode → lint ${fmt(mb / (full / 1000)).padStart(7)} MB/s`);
  }
  // Full rule set without tokenizer rules (issue 4).
  {
    const file = await chatFile(200);
    const mb = statSync(file).size / 1e6;
    const text = readFileSync(file, 'utf8');
    const ceiling = best(() => parseLoop(text), 2);
    let findings = 0;
    const lint = best(() => {
      findings = lintJsonlText(text).findings.length;
    }, 2);
    const n = new RuleSet(defaultLintConfig);
    console.log(`full rule set (${n.recordRules.length} record + ${n.fileRules.length} file rules, no tokenizer) on ${fmt(mb)} MB:`);
    console.log(`  JSON.parse loop (ceiling)           ${fmt(mb / (ceiling / 1000)).padStart(7)} MB/s`);
    console.log(`  all rules                           ${fmt(mb / (lint / 1000)).padStart(7)} MB/s  (${findings} findings)`);
  }
  // Keystroke in a 100,000-line document, then the settle.
  {
    const doc = new JsonlDocument(Array.from({ length: 100_000 }, (_, i) => chatLine(i)).join('\n') + '\n');
    let t0 = performance.now();
    doc.settle();
    console.log(`100,000-line document: first full lint ${fmt(performance.now() - t0, 0)} ms`);
    const times: number[] = [];
    const settles: number[] = [];
    for (let k = 0; k < 60; k++) {
      const line = (k * 7919) % 100_000;
      const t = performance.now();
      doc.applyChange('x', { start: { line, character: 1 }, end: { line, character: 1 } });
      doc.lint();
      times.push(performance.now() - t);
      doc.applyChange('', { start: { line, character: 1 }, end: { line, character: 2 } });
      doc.lint();
      if (k % 10 === 0) {
        t0 = performance.now();
        doc.settle();
        settles.push(performance.now() - t0);
      }
    }
    const s = stats(times);
    const ss = stats(settles);
    console.log(`  keystroke → per-record findings: median ${fmt(s.median, 2)} ms, p95 ${fmt(s.p95, 2)} ms, max ${fmt(s.max, 2)} ms`);
    console.log(`  rules across records (settle, after typing pauses): median ${fmt(ss.median, 0)} ms, max ${fmt(ss.max, 0)} ms`);
  }
}

void main();
