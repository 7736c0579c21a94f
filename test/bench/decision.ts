/**
 * Decision engine (issue 6 target: recommendation update ≤ 16 ms per answer). The sidebar re-runs
 * `decide()` on every answer; this replays random single-answer changes (a walk through the
 * questionnaire) and prints the time per answer, including "what would change the answer" (which
 * re-runs the scoring for each moved input), plus the cost of saving (llmops.yaml edit) and the report.
 * Run: node scripts/bench.mjs decision [answers]
 */
import { decide } from '../../src/core/decision/engine';
import { defaultInputs, inputSpecs } from '../../src/core/decision/inputs';
import { saveDecision } from '../../src/core/decision/manifestEdit';
import { decisionReport } from '../../src/core/decision/report';
import type { DecisionInputs } from '../../src/core/decision/types';

const n = Number(process.argv[2] ?? 5000);

// A small deterministic PRNG, so runs compare.
let seed = 42;
const rand = (): number => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];

function change(inputs: Partial<DecisionInputs>): Partial<DecisionInputs> {
  const spec = pick(inputSpecs);
  let v: unknown;
  if (spec.kind === 'boolean') v = rand() < 0.5;
  else if (spec.kind === 'number') v = spec.nullable && rand() < 0.2 ? null : Math.round(10 ** (rand() * 7));
  else v = pick(spec.options).value;
  if (spec.id === 'apiCostPerQuery') v = rand() * 0.02;
  return { ...inputs, [spec.id]: v };
}

const stats = (xs: number[]): { median: number; p95: number; max: number; mean: number } => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.floor(s.length * 0.95)], max: s[s.length - 1], mean: xs.reduce((a, b) => a + b, 0) / xs.length };
};
const ms = (x: number): string => `${x.toFixed(3)} ms`;

// Warm-up (JIT), then measure.
let inputs: Partial<DecisionInputs> = {};
for (let i = 0; i < 500; i++) decide((inputs = change(inputs)), { labelledExamples: 120 });
inputs = {};
const times: number[] = [];
let combos = 0;
for (let i = 0; i < n; i++) {
  inputs = change(inputs);
  const t0 = performance.now();
  const r = decide(inputs, { labelledExamples: 120, monthlyRequests: 500_000 });
  times.push(performance.now() - t0);
  if (r.recommendation[0].approaches.length > 1) combos++;
}
const s = stats(times);
console.log(`decide(): ${n} random answer changes (one input moved each time)`);
console.log(`  per answer: median ${ms(s.median)}, p95 ${ms(s.p95)}, max ${ms(s.max)}, mean ${ms(s.mean)}  (target ≤ 16 ms)`);
console.log(`  top answer was a combination in ${((combos / n) * 100).toFixed(0)}% of the cases`);

const manifest = ['# demo', 'version: 1', 'project:', '  name: demo   # comment', 'volume:', '  monthly_requests: 500000', 'datasets: {train: data/train.jsonl}', ''].join('\n');
const save: number[] = [];
const report: number[] = [];
let text = manifest;
for (let i = 0; i < 300; i++) {
  inputs = change(inputs);
  let t0 = performance.now();
  const r = saveDecision(text, inputs, { today: '2025-06-01' });
  save.push(performance.now() - t0);
  if (r.ok) text = r.text;
  t0 = performance.now();
  decisionReport(decide(inputs), { today: '2025-06-01' });
  report.push(performance.now() - t0);
}
const sv = stats(save);
const rp = stats(report);
console.log(`saveDecision() (llmops.yaml edit, ${text.split('\n').length} lines): median ${ms(sv.median)}, p95 ${ms(sv.p95)}`);
console.log(`decisionReport() (Markdown): median ${ms(rp.median)}, p95 ${ms(rp.p95)}`);
console.log(`defaults: ${decide(defaultInputs).recommendation[0].id}`);
