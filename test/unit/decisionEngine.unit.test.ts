import * as assert from 'node:assert/strict';
import { approachTitle, decide, matrixPosition, resolveInputs, RULES, VOLUME_HIGH } from '../../src/core/decision/engine';
import { defaultInputs, inputSpecs } from '../../src/core/decision/inputs';
import { approachIds, type DecisionInputs, type DecisionResult } from '../../src/core/decision/types';

const LOW = 5_000;
const HIGH = 500_000;
const top = (r: DecisionResult) => r.recommendation[0];
const rankOf = (r: DecisionResult, id: string): number => r.recommendation.findIndex((x) => x.id === id);
const scoreOf = (r: DecisionResult, id: string): number => r.recommendation.find((x) => x.id === id)!.score;
const FINE_TUNING = ['sft', 'persona-tuning', 'tool-calling-sft', 'dpo', 'continued-pretraining'];
const isFineTuning = (approaches: string[]) => approaches.some((a) => FINE_TUNING.includes(a));

describe('decision engine', () => {
  describe('inputs', () => {
    it('has one spec per input, with a help sentence, and defaults for all', () => {
      assert.deepEqual(inputSpecs.map((s) => s.id).sort(), Object.keys(defaultInputs).sort());
      for (const s of inputSpecs) {
        assert.ok(s.help.length > 20 && s.label.length > 2, s.id);
        if (s.kind === 'level' || s.kind === 'choice') assert.ok(s.options.some((o) => o.value === defaultInputs[s.id]), `${s.id}: default among the options`);
      }
    });

    it('user answers win over project values, which win over defaults', () => {
      const r = resolveInputs({ monthlyRequests: 1000, labelledExamples: null }, { monthlyRequests: 500_000, labelledExamples: 120, preferencePairs: 40 });
      assert.equal(r.inputs.monthlyRequests, 1000);
      assert.equal(r.inputs.labelledExamples, 120, 'null from the user means: use the project count');
      assert.equal(r.inputs.preferencePairs, 40);
      assert.deepEqual(r.fromProject, ['labelledExamples', 'preferencePairs']);
      assert.equal(r.inputs.budgetUsd, defaultInputs.budgetUsd);
      const d = decide({}, { monthlyRequests: 500_000 });
      assert.deepEqual(d.fromProject, ['monthlyRequests']);
      assert.equal(d.inputs.monthlyRequests, 500_000);
    });

    it('ignores values of the wrong type (hand-edited files, webview messages)', () => {
      const r = resolveInputs({ monthlyRequests: -5, domainSpecificity: 'extreme' as never, toolCalling: 'yes' as never, budgetUsd: Number.NaN });
      assert.equal(r.inputs.monthlyRequests, defaultInputs.monthlyRequests);
      assert.equal(r.inputs.domainSpecificity, defaultInputs.domainSpecificity);
      assert.equal(r.inputs.toolCalling, false);
      assert.equal(r.inputs.budgetUsd, defaultInputs.budgetUsd);
    });
  });

  describe('the volume × specificity matrix at its corners', () => {
    it('low volume, low specificity: foundation model is fine → prompt engineering', () => {
      const r = decide({ monthlyRequests: LOW, domainSpecificity: 'low' });
      assert.equal(r.matrix.cell, 'foundation-model-is-fine');
      assert.equal(top(r).id, 'prompt-engineering');
      assert.match(top(r).reasons[0].text, /foundation model is fine/);
      assert.deepEqual(top(r).reasons[0].inputs, ['monthlyRequests', 'domainSpecificity']);
    });

    it('high volume, low specificity: RAG might suffice → RAG', () => {
      const r = decide({ monthlyRequests: HIGH, domainSpecificity: 'low' });
      assert.equal(r.matrix.cell, 'rag-might-suffice');
      assert.equal(top(r).id, 'rag');
      assert.ok(top(r).reasons.some((x) => /RAG might suffice/.test(x.text)));
    });

    it('low volume, high specificity: evaluate case by case → no fine-tuning by default, but a single answer tips it', () => {
      const r = decide({ monthlyRequests: LOW, domainSpecificity: 'high' });
      assert.equal(r.matrix.cell, 'evaluate-case-by-case');
      assert.ok(!isFineTuning(top(r).approaches), top(r).id);
      assert.ok(top(r).reasons.some((x) => /case by case/.test(x.text)));
      assert.ok(top(r).score - scoreOf(r, 'sft') <= 25, 'fine-tuning stays close');
      // Case by case: one more fact about the use case makes fine-tuning win.
      assert.ok(top(r).whatWouldChange.some((w) => /SFT/.test(w)), top(r).whatWouldChange.join('\n'));
      assert.equal(top(decide({ monthlyRequests: LOW, domainSpecificity: 'high', knowledgeKind: 'behaviour', labelledExamples: 500 })).id, 'sft');
    });

    it('high volume, high specificity: strong case for fine-tuning → SFT', () => {
      const r = decide({ monthlyRequests: HIGH, domainSpecificity: 'high' });
      assert.equal(r.matrix.cell, 'strong-case-for-fine-tuning');
      assert.equal(top(r).id, 'sft');
      assert.ok(top(r).score >= 80, String(top(r).score));
      assert.match(top(r).reasons[0].text, /strong case for fine-tuning/);
    });

    it('holds at every corner whatever the order of magnitude inside the cell', () => {
      for (const v of [100, 1_000, 50_000, 99_999]) {
        assert.equal(top(decide({ monthlyRequests: v, domainSpecificity: 'low' })).id, 'prompt-engineering', String(v));
        assert.equal(decide({ monthlyRequests: v, domainSpecificity: 'high' }).matrix.cell, 'evaluate-case-by-case');
      }
      for (const v of [VOLUME_HIGH, 500_000, 10_000_000]) {
        assert.equal(top(decide({ monthlyRequests: v, domainSpecificity: 'low' })).id, 'rag', String(v));
        assert.equal(top(decide({ monthlyRequests: v, domainSpecificity: 'high' })).id, 'sft', String(v));
      }
    });

    it('places the marker on a log volume axis and the specificity axis', () => {
      assert.deepEqual(matrixPosition({ monthlyRequests: VOLUME_HIGH, domainSpecificity: 'high' }), { volume: 'high', specificity: 'high', cell: 'strong-case-for-fine-tuning', x: 0.5, y: 5 / 6 });
      assert.equal(matrixPosition({ monthlyRequests: 1000, domainSpecificity: 'low' }).x, 0);
      assert.equal(matrixPosition({ monthlyRequests: 1e9, domainSpecificity: 'low' }).x, 1);
      assert.equal(matrixPosition({ monthlyRequests: 1e4, domainSpecificity: 'medium' }).specificity, 'low');
    });
  });

  describe('strong cases for fine-tuning (source documents)', () => {
    it('need for brand voice → persona tuning', () => {
      const r = decide({ monthlyRequests: HIGH, brandVoice: 'high' });
      assert.deepEqual(top(r).approaches, ['rag', 'persona-tuning']);
      assert.ok(top(r).reasons.some((x) => x.inputs.includes('brandVoice') && x.effect === 'for'));
      // Even at low volume the voice moves persona tuning up to second place.
      const low = decide({ brandVoice: 'high' });
      assert.ok(rankOf(low, 'persona-tuning') <= 1, String(rankOf(low, 'persona-tuning')));
      assert.ok(rankOf(low, 'persona-tuning') < rankOf(decide({}), 'persona-tuning'));
    });

    it('data sovereignty → a self-hosted fine-tuned model', () => {
      const without = decide({ monthlyRequests: HIGH });
      const r = decide({ monthlyRequests: HIGH, dataSovereignty: true });
      assert.ok(top(r).approaches.includes('sft'), top(r).id);
      assert.ok(scoreOf(r, 'sft') > scoreOf(without, 'sft'));
      assert.ok(scoreOf(r, 'prompt-engineering') < scoreOf(without, 'prompt-engineering'));
      assert.ok(top(r).reasons.some((x) => /self-hosted fine-tuned small model/.test(x.text)));
      assert.ok(top(r).risks.some((x) => /Data leakage/.test(x)));
    });

    it('cost optimisation at scale → SFT pays back', () => {
      const r = decide({ monthlyRequests: 5_000_000, domainSpecificity: 'medium', knowledgeKind: 'behaviour' });
      assert.equal(top(r).id, 'sft');
      assert.ok(top(r).reasons.some((x) => /cost at scale/.test(x.text)));
      assert.ok(top(r).reasons.some((x) => /Pays back in/.test(x.text)));
      assert.ok(r.breakEvenMonths !== null && r.breakEvenMonths < 1);
    });

    it('latency-critical applications → a small fine-tuned model', () => {
      const without = decide({ monthlyRequests: HIGH, domainSpecificity: 'medium' });
      const r = decide({ monthlyRequests: HIGH, domainSpecificity: 'medium', latency: 'realtime' });
      assert.ok(top(r).approaches.includes('sft'), top(r).id);
      assert.ok(!top(without).approaches.includes('sft'), top(without).id);
      assert.ok(top(r).reasons.some((x) => x.inputs.includes('latency')));
    });

    it('tool calling → tool-calling SFT (with SFT in a specialised domain)', () => {
      const r = decide({ monthlyRequests: HIGH, domainSpecificity: 'high', toolCalling: true });
      assert.deepEqual(top(r).approaches, ['sft', 'tool-calling-sft']);
      assert.equal(top(r).title, 'SFT + tool-calling SFT');
    });

    it('safety / preference problems → DPO', () => {
      const r = decide({ monthlyRequests: HIGH, domainSpecificity: 'high', safetyIssues: true, preferencePairs: 500 });
      assert.deepEqual(top(r).approaches, ['sft', 'dpo']);
      assert.equal(top(decide({ safetyIssues: true, preferencePairs: 500 })).id, 'dpo');
      // DPO needs preference pairs: without them it ranks lower and says so.
      const none = decide({ safetyIssues: true, preferencePairs: 0 });
      assert.ok(scoreOf(none, 'dpo') < scoreOf(decide({ safetyIssues: true, preferencePairs: 500 }), 'dpo'));
      assert.ok(none.recommendation.find((x) => x.id === 'dpo')!.reasons.some((x) => /preference pairs/.test(x.text) && x.effect === 'against'));
    });

    it('the Task API assistant (domain, voice, tools) → SFT + persona tuning + tool-calling SFT', () => {
      const r = decide({ monthlyRequests: HIGH, domainSpecificity: 'high', brandVoice: 'high', toolCalling: true, knowledgeKind: 'behaviour', labelledExamples: 500 });
      assert.deepEqual(top(r).approaches, ['sft', 'persona-tuning', 'tool-calling-sft']);
      assert.ok(r.recommendation.some((x) => x.id === 'sft+tool-calling-sft'));
      assert.ok(r.recommendation.some((x) => x.id === 'sft+persona-tuning'));
      assert.equal(top(r).nextSteps.filter((s) => s.command === 'llmops.createTrainingConfig').length, 3);
    });
  });

  describe('cases where a foundation model suffices (source documents)', () => {
    it('generic tasks (summarisation, translation)', () => {
      assert.equal(top(decide({ monthlyRequests: 50_000, domainSpecificity: 'low', knowledgeKind: 'behaviour' })).id, 'prompt-engineering');
    });

    it('low-volume applications', () => {
      for (const spec of ['low', 'medium', 'high'] as const) {
        const r = decide({ monthlyRequests: 2_000, domainSpecificity: spec });
        assert.ok(!isFineTuning(top(r).approaches), `${spec}: ${top(r).id}`);
      }
    });

    it('rapidly changing requirements → RAG or prompting, even in a specialised domain at scale', () => {
      const r = decide({ monthlyRequests: HIGH, domainSpecificity: 'high', changeRate: 'weekly' });
      assert.equal(top(r).id, 'rag');
      assert.ok(r.recommendation.find((x) => x.id === 'sft')!.reasons.some((x) => /goes stale/.test(x.text)));
      assert.equal(top(decide({ changeRate: 'weekly' })).id, 'prompt-engineering');
    });

    it('factual look-up → RAG', () => {
      assert.equal(top(decide({ monthlyRequests: HIGH, domainSpecificity: 'medium', knowledgeKind: 'facts' })).id, 'rag');
      assert.equal(top(decide({ monthlyRequests: 20_000, domainSpecificity: 'high', knowledgeKind: 'facts' })).id, 'rag');
    });

    it('exploratory phase (requirements still moving, no data yet) → prompt engineering', () => {
      assert.equal(top(decide({ changeRate: 'weekly', labelledExamples: 0, domainSpecificity: 'medium' })).id, 'prompt-engineering');
    });
  });

  describe('data, budget and team', () => {
    it('too few clean examples: fine-tuning ranks lower and says why', () => {
      const enough = decide({ monthlyRequests: HIGH, domainSpecificity: 'high', labelledExamples: 500 });
      const few = decide({ monthlyRequests: HIGH, domainSpecificity: 'high', labelledExamples: 5 });
      const some = decide({ monthlyRequests: HIGH, domainSpecificity: 'high', labelledExamples: 30 });
      assert.equal(top(enough).id, 'sft');
      assert.notEqual(top(few).id, 'sft');
      assert.ok(scoreOf(few, 'sft') < scoreOf(some, 'sft') && scoreOf(some, 'sft') < scoreOf(enough, 'sft'));
      const sft = few.recommendation.find((x) => x.id === 'sft')!;
      assert.ok(sft.reasons.some((x) => x.effect === 'against' && /minimum of 10/.test(x.text) && x.inputs.includes('labelledExamples')));
      assert.ok(some.recommendation.find((x) => x.id === 'sft')!.reasons.some((x) => /recommended 50/.test(x.text)));
      assert.ok(top(few).whatWouldChange.some((w) => /If you had 50 clean labelled examples/.test(w)), top(few).whatWouldChange.join('\n'));
    });

    it('budget or team hours below the setup cost: says so and ranks training lower', () => {
      const r = decide({ monthlyRequests: HIGH, domainSpecificity: 'high', teamHours: 10, budgetUsd: 500 });
      const sft = r.recommendation.find((x) => x.id === 'sft')!;
      assert.ok(sft.reasons.some((x) => /team has 10 hours/.test(x.text)));
      assert.ok(sft.reasons.some((x) => /budget \(\$500\) is below the setup cost \(\$5,275/.test(x.text)));
      assert.ok(sft.score < scoreOf(decide({ monthlyRequests: HIGH, domainSpecificity: 'high' }), 'sft'));
    });

    it('continued pretraining only for a very specialised domain at very high volume with a large budget', () => {
      for (const r of [decide({}), decide({ monthlyRequests: HIGH, domainSpecificity: 'high' })]) assert.ok(scoreOf(r, 'continued-pretraining') < 30);
      const r = decide({ monthlyRequests: 5_000_000, domainSpecificity: 'high', budgetUsd: 250_000, changeRate: 'rarely', labelledExamples: 100_000 });
      assert.ok(top(r).approaches.includes('continued-pretraining'), top(r).id);
    });
  });

  describe('result shape', () => {
    it('ranks every approach, sorted, scores 0..100, with reasons, risks and next steps', () => {
      const r = decide({ monthlyRequests: HIGH, brandVoice: 'high', toolCalling: true, safetyIssues: true, preferencePairs: 300, labelledExamples: 2000 });
      for (const a of approachIds) assert.ok(r.recommendation.some((x) => x.id === a), a);
      for (let n = 1; n < r.recommendation.length; n++) assert.ok(r.recommendation[n - 1].score >= r.recommendation[n].score);
      const allowed = new Set(['llmops.lintWorkspace', 'llmops.showCostBreakdown', 'llmops.createTrainingConfig', 'llmops.exportDecisionReport']);
      for (const x of r.recommendation) {
        assert.ok(x.score >= 0 && x.score <= 100 && Number.isInteger(x.score));
        assert.equal(x.id, x.approaches.join('+'));
        assert.equal(x.title, approachTitle(x.approaches));
        assert.ok(x.reasons.length > 0 && x.risks.length > 0 && x.nextSteps.length > 0, x.id);
        for (const s of x.nextSteps) if (s.command) assert.ok(allowed.has(s.command), s.command);
      }
      const sft = r.recommendation.find((x) => x.id === 'sft')!;
      assert.ok(sft.risks.some((x) => /Bias inherited/.test(x)));
      assert.ok(sft.risks.some((x) => /Drift/.test(x)));
      assert.ok(sft.risks.some((x) => /Maintenance/.test(x)));
    });

    it('every rule names the inputs it reads', () => {
      const ids = new Set(Object.keys(defaultInputs));
      for (const rule of RULES) for (const i of rule.inputs) assert.ok(ids.has(i), i);
    });
  });

  describe('what would change the answer', () => {
    it('is computed by re-running the engine: each statement holds when applied', () => {
      const r = decide({ monthlyRequests: HIGH, domainSpecificity: 'high' });
      const w = top(r).whatWouldChange;
      assert.ok(w.includes('If volume were below ~100k/month, RAG (retrieval-augmented generation) would rank first.'), w.join('\n'));
      assert.ok(w.some((x) => /^If domain specificity were low, RAG/.test(x)));
      assert.equal(top(decide({ monthlyRequests: 99_000, domainSpecificity: 'high' })).id, 'rag');
    });

    it('from prompt engineering, names the volume at which RAG takes over', () => {
      const w = top(decide({})).whatWouldChange;
      assert.ok(w.some((x) => x.startsWith('If volume were above ~100k/month, RAG')), w.join('\n'));
    });

    it('lists, for the others, what would make them rank first', () => {
      const r = decide({ monthlyRequests: LOW, domainSpecificity: 'high' });
      const sft = r.recommendation.find((x) => x.id === 'sft')!;
      assert.ok(sft.whatWouldChange.length > 0);
      for (const w of sft.whatWouldChange) assert.match(w, /this would rank first\.$/);
    });
  });

  it('is fast: well under 16 ms per answer', () => {
    const t0 = performance.now();
    const n = 300;
    for (let k = 0; k < n; k++) decide({ monthlyRequests: 1000 + k * 3331, domainSpecificity: (['low', 'medium', 'high'] as const)[k % 3], toolCalling: k % 2 === 0 } satisfies Partial<DecisionInputs>);
    const per = (performance.now() - t0) / n;
    assert.ok(per < 16, `${per.toFixed(2)} ms per answer`);
  });
});
