/**
 * The Decision sidebar's pure parts: the schemas that validate what the webview sends (untrusted),
 * the guards of what it receives, its answer/progress logic, the ROI chart geometry (the lines cross
 * at break-even) and the minimal text edit that saves llmops.yaml.
 */
import * as assert from 'node:assert/strict';
import { decide, nextStepCommands } from '../../src/core/decision/engine';
import { defaultInputs, inputSpecById, inputSpecs } from '../../src/core/decision/inputs';
import { approachIds } from '../../src/core/decision/types';
import { minimalReplacement } from '../../src/extension/textEdit';
import { decisionViewCommands, isDecisionSavedMessage, isDecisionSaveFailedMessage, isDecisionStateMessage, isDecisionViewCommand } from '../../src/protocol/decisionWebview';
import { DecisionInputsSchema, DecisionWebviewToExtension } from '../../src/protocol/decisionWebviewSchema';
import { formatMonths, formatValue, groupProgress, parseNumberAnswer, radioAnswer, sameAnswers, summarize } from '../../webviews/decision/model';
import { crossingMonth, niceStep, roiChartGeometry, type Point } from '../../webviews/decision/roiChart';
import { rng } from '../random';

const ok = (m: unknown): boolean => DecisionWebviewToExtension.safeParse(m).success;

describe('Decision webview messages (schema, validated on the extension host)', () => {
  it('accepts every message the webview sends', () => {
    assert.ok(ok({ type: 'ready' }));
    assert.ok(ok({ type: 'refresh' }));
    assert.ok(ok({ type: 'save', inputs: {} }));
    assert.ok(ok({ type: 'save', inputs: { monthlyRequests: 500_000, domainSpecificity: 'high', toolCalling: true, labelledExamples: null, apiCostPerQuery: 0.005 } }));
    assert.ok(ok({ type: 'answers', inputs: { latency: 'realtime' }, top: ['rag', 'persona-tuning'], dirty: true }));
    assert.ok(ok({ type: 'answers', inputs: {}, top: null, dirty: false }));
    assert.ok(ok({ type: 'runCommand', command: 'llmops.createTrainingConfig', approach: 'sft' }));
    assert.ok(ok({ type: 'runCommand', command: 'llmops.lintWorkspace' }));
    assert.ok(ok({ type: 'openFile', path: 'data/train.jsonl' }));
    assert.ok(ok({ type: 'openFile', path: '/w/llmops.yaml', line: 3 }));
    assert.ok(ok({ type: 'perf', firstPaintMs: 120.5, paintedAt: Date.now(), updateMs: [1.2, 3.4] }));
  });

  it('refuses unknown messages, extra keys and commands outside the allowlist', () => {
    assert.ok(!ok(null));
    assert.ok(!ok('save'));
    assert.ok(!ok({ type: 'eval', code: '1' }));
    assert.ok(!ok({ type: 'ready', extra: 1 }));
    assert.ok(!ok({ type: 'runCommand', command: 'workbench.action.terminal.new' }));
    assert.ok(!ok({ type: 'runCommand', command: 'llmops.restartRuntime' }));
    assert.ok(!ok({ type: 'runCommand', command: 'llmops.createTrainingConfig', approach: 'sft; rm -rf /' }));
    assert.ok(!ok({ type: 'openFile', path: '' }));
    assert.ok(!ok({ type: 'openFile', path: 'x'.repeat(5000) }));
    assert.ok(!ok({ type: 'openFile', path: 'a', line: 0 }));
    assert.ok(!ok({ type: 'openFile', path: 'a', line: 1.5 }));
    assert.ok(!ok({ type: 'perf', firstPaintMs: -1, paintedAt: 0, updateMs: [] }));
    assert.ok(!ok({ type: 'perf', firstPaintMs: 1, paintedAt: 0, updateMs: new Array(1001).fill(1) }));
    assert.ok(!ok({ type: 'answers', inputs: {}, top: [], dirty: false }));
    assert.ok(!ok({ type: 'answers', inputs: {}, top: ['finetune'], dirty: false }));
  });

  it('range-checks the answers', () => {
    const bad: Record<string, unknown>[] = [
      { monthlyRequests: -1 },
      { monthlyRequests: 1.5 },
      { monthlyRequests: Infinity },
      { monthlyRequests: NaN },
      { monthlyRequests: '500000' },
      { monthlyRequests: 1e13 },
      { domainSpecificity: 'extreme' },
      { latency: 'fast' },
      { toolCalling: 'yes' },
      { labelledExamples: -5 },
      { apiCostPerQuery: 1e6 },
      { hourlyRateUsd: -1 },
      { unknownInput: 1 },
    ];
    for (const inputs of bad) assert.ok(!ok({ type: 'save', inputs }), `accepted ${JSON.stringify(inputs)}`);
  });

  it('knows every input, and accepts every value the questions allow (min, max, options, default)', () => {
    assert.deepEqual(Object.keys(DecisionInputsSchema.shape).sort(), Object.keys(defaultInputs).sort());
    for (const spec of inputSpecs) {
      const values: unknown[] = [defaultInputs[spec.id]];
      if (spec.kind === 'number') values.push(spec.min, spec.max ?? spec.min + spec.step * 1000);
      else if (spec.kind === 'boolean') values.push(true, false);
      else values.push(...spec.options.map((o) => o.value));
      for (const v of values) {
        if (v === null && !(spec.kind === 'number' && spec.nullable)) continue;
        assert.ok(DecisionInputsSchema.safeParse({ [spec.id]: v }).success, `${spec.id} = ${JSON.stringify(v)} refused`);
      }
    }
  });

  it('allowlists every command the engine offers as a next step', () => {
    for (const c of nextStepCommands) assert.ok((decisionViewCommands as readonly string[]).includes(c), c);
    assert.ok(isDecisionViewCommand('llmops.exportDecisionReport'));
    assert.ok(!isDecisionViewCommand('vscode.open'));
    assert.ok(!isDecisionViewCommand(undefined));
  });

  it('guards what the webview receives', () => {
    assert.ok(isDecisionStateMessage({ type: 'state', state: { runtime: 'ready' } }));
    assert.ok(!isDecisionStateMessage({ type: 'state' }));
    assert.ok(!isDecisionStateMessage(null));
    assert.ok(isDecisionSavedMessage({ type: 'saved', inputs: {}, saved: { revision: 1 }, path: 'llmops.yaml' }));
    assert.ok(!isDecisionSavedMessage({ type: 'saved' }));
    assert.ok(isDecisionSaveFailedMessage({ type: 'saveFailed', message: 'x' }));
    assert.ok(!isDecisionSaveFailedMessage({ type: 'saveFailed' }));
  });
});

describe('Decision webview model', () => {
  it('compares answers regardless of key order and unset entries', () => {
    assert.ok(sameAnswers({ latency: 'realtime', toolCalling: true }, { toolCalling: true, latency: 'realtime', brandVoice: undefined }));
    assert.ok(!sameAnswers({ latency: 'realtime' }, { latency: 'relaxed' }));
    assert.ok(!sameAnswers({ latency: 'realtime' }, {}));
    assert.ok(sameAnswers({ labelledExamples: null }, { labelledExamples: null }));
  });

  it('counts a group answered when every question is set by the user or the project', () => {
    const none = groupProgress(inputSpecs, {}, {});
    assert.equal(none.length, new Set(inputSpecs.map((s) => s.group)).size);
    assert.ok(none.every((g) => g.answered === 0 && !g.done));
    const traffic = inputSpecs.filter((s) => s.group === 'Traffic & cost');
    const answers = Object.fromEntries(traffic.filter((s) => s.id !== 'monthlyRequests').map((s) => [s.id, defaultInputs[s.id]]));
    const g = groupProgress(inputSpecs, answers, { monthlyRequests: 500_000 }).find((x) => x.group === 'Traffic & cost')!;
    assert.equal(g.answered, traffic.length);
    assert.ok(g.done);
    // A null project count (nothing found) does not answer the question.
    const data = groupProgress(inputSpecs, {}, { labelledExamples: null }).find((x) => x.group === 'Data & team')!;
    assert.equal(data.answered, 0);
  });

  it('parses number answers: empty is unset, ranges and whole counts enforced, separators allowed', () => {
    const req = inputSpecById.monthlyRequests;
    assert.deepEqual(parseNumberAnswer('', req), { ok: true, value: undefined });
    assert.deepEqual(parseNumberAnswer('500,000', req), { ok: true, value: 500_000 });
    assert.deepEqual(parseNumberAnswer(' 1_000 ', req), { ok: true, value: 1000 });
    assert.deepEqual(parseNumberAnswer('1e6', req), { ok: true, value: 1_000_000 });
    assert.equal(parseNumberAnswer('12.5', req).ok, false);
    assert.equal(parseNumberAnswer('-3', req).ok, false);
    assert.equal(parseNumberAnswer('abc', req).ok, false);
    assert.equal(parseNumberAnswer('2e9', req).ok, false);
    const cost = inputSpecById.apiCostPerQuery;
    assert.deepEqual(parseNumberAnswer('$0.004', cost), { ok: true, value: 0.004 });
    assert.deepEqual(parseNumberAnswer('.5', cost), { ok: true, value: 0.5 });
    assert.equal(parseNumberAnswer('11', cost).ok, false);
    // Whatever the parser accepts, the extension's schema accepts too.
    for (const spec of inputSpecs) {
      if (spec.kind !== 'number') continue;
      for (const t of ['0', String(spec.min), String(spec.max ?? 123456), '42']) {
        const p = parseNumberAnswer(t, spec);
        if (p.ok && p.value !== undefined) assert.ok(DecisionInputsSchema.safeParse({ [spec.id]: p.value }).success, `${spec.id}=${t}`);
      }
    }
  });

  it('reads values as the sidebar shows them', () => {
    assert.equal(formatValue(inputSpecById.toolCalling, true), 'Yes');
    assert.equal(formatValue(inputSpecById.latency, 'realtime'), 'Real-time (a few hundred ms)');
    assert.equal(formatValue(inputSpecById.monthlyRequests, 500000), '500,000 requests/month');
    assert.equal(formatValue(inputSpecById.budgetUsd, 10000), '$10,000');
    assert.equal(formatValue(inputSpecById.customMonthlyUsd, 500), '$500/month');
    assert.equal(formatValue(inputSpecById.labelledExamples, null), 'counted from the datasets');
    assert.equal(radioAnswer(inputSpecById.toolCalling, 'false'), false);
    assert.equal(radioAnswer(inputSpecById.domainSpecificity, 'high'), 'high');
    assert.equal(radioAnswer(inputSpecById.domainSpecificity, 'extreme'), undefined);
    assert.equal(formatMonths(2.63), '2.6 months');
    assert.equal(formatMonths(1), '1 month');
    assert.deepEqual(summarize([3, 1, 2, 10]), { n: 4, median: 2.5, max: 10 });
  });
});

/** y of a polyline at x (linear between its points). */
function yAt(line: Point[], x: number): number {
  for (let i = 1; i < line.length; i++) {
    const a = line[i - 1];
    const b = line[i];
    if (x >= a.x - 1e-9 && x <= b.x + 1e-9) return a.y + ((x - a.x) / (b.x - a.x || 1)) * (b.y - a.y);
  }
  throw new Error(`x=${x} outside the line`);
}

describe('ROI chart geometry', () => {
  const size = { width: 300, height: 170 };

  it("the lines cross at the engine's break-even (source documents' worked example)", () => {
    const r = decide({ monthlyRequests: 500_000, apiCostPerQuery: 0.005, customMonthlyUsd: 500 });
    assert.ok(r.breakEvenMonths !== null && r.breakEvenMonths >= 2 && r.breakEvenMonths <= 4, `break-even ${r.breakEvenMonths}`);
    const g = roiChartGeometry(r.roi.cumulative, size);
    assert.ok(g.crossing, 'no crossing');
    assert.ok(Math.abs(g.crossing.month - r.breakEvenMonths) < 1e-9, `${g.crossing.month} vs ${r.breakEvenMonths}`);
    // The point lies on both lines, inside the plot.
    assert.ok(Math.abs(yAt(g.api, g.crossing.x) - g.crossing.y) < 0.01);
    assert.ok(Math.abs(yAt(g.custom, g.crossing.x) - g.crossing.y) < 0.01);
    assert.ok(g.crossing.x > g.plot.left && g.crossing.x < g.plot.right);
    // Before it the custom model costs more (higher on the chart = smaller y), after it less.
    assert.ok(yAt(g.custom, g.plot.left) < yAt(g.api, g.plot.left));
    assert.ok(yAt(g.custom, g.plot.right) > yAt(g.api, g.plot.right));
    // Both lines stay inside the plot area.
    for (const p of [...g.api, ...g.custom]) assert.ok(p.y >= g.plot.top - 1e-9 && p.y <= g.plot.bottom + 1e-9 && p.x >= g.plot.left - 1e-9 && p.x <= g.plot.right + 1e-9);
    assert.match(g.apiPath, /^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+)+$/);
    assert.ok(g.yTicks.at(-1)!.usd >= Math.max(...r.roi.cumulative.map((c) => Math.max(c.api, c.custom))));
  });

  it('crosses wherever break-even is, for random economics', () => {
    const rnd = rng(7);
    for (let n = 0; n < 200; n++) {
      const r = decide({ monthlyRequests: Math.round(1000 + rnd() * 2e6), apiCostPerQuery: 0.0005 + rnd() * 0.02, customMonthlyUsd: rnd() * 5000, setupHours: rnd() * 200, hourlyRateUsd: 20 + rnd() * 150 });
      const g = roiChartGeometry(r.roi.cumulative, size);
      const last = r.roi.cumulative.at(-1)!.month;
      if (r.breakEvenMonths !== null && r.breakEvenMonths <= last) {
        assert.ok(g.crossing, `no crossing for break-even ${r.breakEvenMonths}`);
        assert.ok(Math.abs(g.crossing.month - r.breakEvenMonths) < 1e-6);
        assert.ok(Math.abs(yAt(g.api, g.crossing.x) - yAt(g.custom, g.crossing.x)) < 0.01);
      } else assert.equal(g.crossing, null, `crossing without break-even (${r.breakEvenMonths})`);
    }
  });

  it('has no crossing when the custom model never pays back', () => {
    const r = decide({ monthlyRequests: 10_000, apiCostPerQuery: 0.005, customMonthlyUsd: 500 });
    assert.equal(r.breakEvenMonths, null);
    assert.equal(roiChartGeometry(r.roi.cumulative, size).crossing, null);
    assert.equal(crossingMonth([]), null);
    assert.deepEqual(crossingMonth([{ month: 0, api: 0, custom: 0 }]), { month: 0, usd: 0 });
    // Degenerate input still draws.
    assert.match(roiChartGeometry([], size).apiPath, /^M/);
  });

  it('picks round tick steps', () => {
    assert.equal(niceStep(30_000, 4), 10_000);
    assert.equal(niceStep(12, 6), 2);
    assert.equal(niceStep(9000, 4), 2500);
    assert.equal(niceStep(0, 4), 1);
  });
});

describe('minimal text replacement (saving llmops.yaml)', () => {
  const apply = (a: string, b: string): string => {
    const r = minimalReplacement(a, b);
    return r ? a.slice(0, r.start) + r.text + a.slice(r.end) : a;
  };

  it('replaces only what changed', () => {
    assert.equal(minimalReplacement('same', 'same'), null);
    const a = 'version: 1\nproject:\n  name: x\ndecision:\n  revision: 1\n';
    const b = 'version: 1\nproject:\n  name: x\ndecision:\n  revision: 2\n';
    assert.deepEqual(minimalReplacement(a, b), { start: a.indexOf('1\n', 40), end: a.indexOf('1\n', 40) + 1, text: '2' });
    assert.deepEqual(minimalReplacement('', 'abc'), { start: 0, end: 0, text: 'abc' });
    assert.deepEqual(minimalReplacement('abc', ''), { start: 0, end: 3, text: '' });
    assert.deepEqual(minimalReplacement('aaa', 'aaaa'), { start: 3, end: 3, text: 'a' });
  });

  it('never splits a CRLF or a surrogate pair', () => {
    const r = minimalReplacement('a\r\nb', 'a\nb')!;
    assert.equal(apply('a\r\nb', 'a\nb'), 'a\nb');
    assert.ok(!(r.start > 0 && 'a\r\nb'[r.start - 1] === '\r' && 'a\r\nb'[r.start] === '\n'));
    const s = minimalReplacement('x😀y', 'x😃y')!;
    assert.equal(s.text, '😃');
    assert.equal(apply('x😀y', 'x😃y'), 'x😃y');
  });

  it('always produces the new text (random edits)', () => {
    const rnd = rng(11);
    const alphabet = ['a', 'b', '\n', '\r\n', ' ', '😀', 'é'];
    const str = (n: number): string => Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
    for (let i = 0; i < 500; i++) {
      const a = str(Math.floor(rnd() * 30));
      const cut = Math.floor(rnd() * (a.length + 1));
      const b = a.slice(0, cut) + str(Math.floor(rnd() * 5)) + a.slice(Math.min(a.length, cut + Math.floor(rnd() * 5)));
      assert.equal(apply(a, b), b, JSON.stringify({ a, b }));
    }
  });
});

describe('approach ids in the protocol', () => {
  it('are the engine ids', () => {
    assert.deepEqual([...approachIds].sort(), ['continued-pretraining', 'dpo', 'persona-tuning', 'prompt-engineering', 'rag', 'sft', 'tool-calling-sft']);
  });
});
