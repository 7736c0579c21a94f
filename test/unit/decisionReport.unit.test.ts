import * as assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { decide } from '../../src/core/decision/engine';
import { decisionReport, formatInputValue } from '../../src/core/decision/report';
import { starterTrainConfig, trainableApproaches } from '../../src/core/decision/starterConfig';
import { parseTrainConfig } from '../../src/core/train/config';

describe('decision report (docs/decision.md)', () => {
  const result = decide({ monthlyRequests: 500_000, domainSpecificity: 'high', brandVoice: 'high' }, { labelledExamples: 1204 });
  const md = decisionReport(result, {
    projectName: 'support-bot',
    useCase: 'Answers support tickets',
    saved: { date: '2025-06-01', revision: 3 },
    today: '2025-06-02',
    answered: ['monthlyRequests', 'domainSpecificity', 'brandVoice'],
    sources: { labelledExamples: 'data/train.jsonl (1,204 records, linted clean)' },
  });

  it('has every section a stakeholder needs, in order', () => {
    const headings = md.split('\n').filter((l) => l.startsWith('#'));
    assert.deepEqual(headings, [
      '# Decision: how to customise the model for support-bot',
      '## The question',
      '## Recommendation',
      '### All options, ranked',
      '## Position in the decision matrix',
      '## Return on investment',
      '## Inputs',
      '## Risks',
      '## What would change the answer',
      '## Next steps',
    ]);
    assert.match(md, /Revision 3, decided 2025-06-01\. Report generated 2025-06-02\./);
    assert.match(md, /Use case: Answers support tickets/);
  });

  it('states the recommendation with its reasons and ranks the alternatives', () => {
    assert.match(md, new RegExp(`\\*\\*${result.recommendation[0].title.replace(/[+()]/g, '\\$&')}\\*\\* — score ${result.recommendation[0].score}/100`));
    assert.match(md, /- High volume \(500k requests\/month\) and high domain specificity: a strong case for fine-tuning/);
    assert.match(md, /\| 1 \| SFT \+ persona tuning \| \d+ \|/);
  });

  it('marks the matrix cell, shows the ROI arithmetic, break-even and the cumulative table', () => {
    assert.match(md, /\*\*Strong case for fine-tuning\*\* ◀ this project/);
    assert.match(md, /\| API: 500,000 requests × \$0\.005 \| \$2,500\/month \|/);
    assert.match(md, /\| Upfront: 70 h × \$75 \+ \$25 training \| \$5,275 \|/);
    assert.match(md, /\*\*Break-even\*\* \| \*\*2\.6 months\*\*/);
    assert.match(md, /\| 3 \| \$7,500 \| \$6,775 \|/);
  });

  it('lists the inputs with where each value came from', () => {
    assert.match(md, /\| Requests per month \| 500,000 requests\/month \| answered \|/);
    assert.match(md, /\| Clean labelled examples \| 1,204 examples \| project: data\/train\.jsonl \(1,204 records, linted clean\) \|/);
    assert.match(md, /\| Latency needs \| Interactive \(~1 s\) \| default \|/);
    assert.equal(formatInputValue('apiCostPerQuery', 0.004), '$0.004');
    assert.equal(formatInputValue('customMonthlyUsd', 500), '$500/month');
    assert.equal(formatInputValue('labelledExamples', null), 'not counted');
  });

  it('lists risks, what would change the answer and numbered next steps', () => {
    assert.match(md, /## Risks\n\n- Bias inherited from the data/);
    assert.match(md, /## What would change the answer\n\n- If volume were below ~/);
    assert.match(md, /## Next steps\n\n1\. /);
  });

  it('says when the decision is not saved yet', () => {
    assert.match(decisionReport(decide({}), { today: '2025-06-02' }), /Not saved in llmops\.yaml yet\. Report generated 2025-06-02\./);
  });

  it('escapes table cells', () => {
    const r = decisionReport(decide({}), { sources: { monthlyRequests: 'a|b' }, today: '2025-06-02' });
    assert.ok(!/a\|b/.test(r.replace(/a\\\|b/g, '')));
  });
});

describe('starter training configs', () => {
  const project = { base_model: 'HuggingFaceTB/SmolLM2-135M-Instruct', datasets: { train: 'data/train.jsonl', eval: 'data/eval.jsonl', preferences: 'data/preferences.jsonl' } };

  it('exists for every approach that trains, and not for prompting or RAG', () => {
    assert.deepEqual(trainableApproaches.sort(), ['continued-pretraining', 'dpo', 'persona-tuning', 'sft', 'tool-calling-sft']);
    assert.equal(starterTrainConfig('prompt-engineering', project), null);
    assert.equal(starterTrainConfig('rag', project), null);
  });

  for (const approach of ['sft', 'persona-tuning', 'tool-calling-sft', 'dpo', 'continued-pretraining'] as const) {
    it(`${approach}: a valid training config filled from llmops.yaml`, () => {
      const c = starterTrainConfig(approach, project)!;
      const parsed = parseTrainConfig(c.text, c.fileName);
      assert.deepEqual(parsed.problems, [], c.text);
      assert.equal(parsed.config!.base_model, project.base_model);
      assert.equal(parsed.config!.datasets.train, approach === 'dpo' ? 'data/preferences.jsonl' : 'data/train.jsonl');
      assert.equal(parsed.config!.datasets.eval, 'data/eval.jsonl');
      assert.equal(parsed.config!.method, approach === 'dpo' ? 'dpo' : 'sft');
      assert.equal(parsed.config!.adapter.type, 'lora');
      assert.equal(parsed.config!.engine, 'builtin');
      assert.match(c.text, /# from llmops\.yaml/);
      assert.match(c.fileName, /\.train\.yaml$/);
    });
  }

  it('dpo has beta; sft has none', () => {
    assert.equal((parseYaml(starterTrainConfig('dpo', project)!.text) as { dpo: { beta: number } }).dpo.beta, 0.1);
    assert.equal((parseYaml(starterTrainConfig('sft', project)!.text) as { dpo?: unknown }).dpo, undefined);
  });

  it('without llmops.yaml values: a default small base model and placeholder paths, still valid', () => {
    const c = starterTrainConfig('sft')!;
    assert.deepEqual(parseTrainConfig(c.text, c.fileName).problems, []);
    assert.match(c.text, /base_model: HuggingFaceTB\/SmolLM2-135M-Instruct/);
    assert.match(c.text, /train: data\/train\.jsonl +# create it/);
    assert.match(c.text, /# eval: data\/eval\.jsonl/);
  });

  it('quotes paths that YAML would misread', () => {
    const c = starterTrainConfig('sft', { base_model: './models/my model', datasets: { train: 'data/train #1.jsonl' } })!;
    const y = parseYaml(c.text) as { base_model: string; datasets: { train: string } };
    assert.equal(y.base_model, './models/my model');
    assert.equal(y.datasets.train, 'data/train #1.jsonl');
  });
});
