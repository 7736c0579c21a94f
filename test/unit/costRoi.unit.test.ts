import { strict as assert } from 'node:assert';
import { roi } from '../../src/core/cost/roi';

describe('cost: ROI of a custom model', () => {
  /*
   * The worked example of seeds/001 ("The Economic Argument"): 500,000 queries a month; GPT-4o at
   * ~$0.005/query = $2,500/month, Claude at ~$0.004 = $2,000/month; a custom 7B model ~$500/month;
   * setup 40–100 hours plus compute; "with $1,500–2,000/month savings, the investment pays off in
   * 2–4 months". The text gives no rate: upfront / savings = 2 at (40 h, $2,000) and 4 at
   * (100 h, $1,500) needs 40·r + c ≈ 4,000 and 100·r + c ≈ 6,000, i.e. r ≈ $33/h. We use $30/h and
   * $3,000 of training compute (fine-tuning runs, evaluation, serving setup):
   *   40 h:  $1,200 + $3,000 = $4,200 → 4,200 / 2,000 = 2.1 months (GPT-4o), 4,200 / 1,500 = 2.8 (Claude)
   *   100 h: $3,000 + $3,000 = $6,000 → 6,000 / 2,000 = 3.0 months (GPT-4o), 6,000 / 1,500 = 4.0 (Claude)
   * so every combination pays off in 2–4 months (2.1 … 4.0), as the text says.
   */
  const hourlyRateUsd = 30;
  const trainingCostUsd = 3000;
  const customMonthlyUsd = 500;
  const apiMonthly = { gpt4o: 500_000 * 0.005, claude: 500_000 * 0.004 };

  it('reproduces the monthly bills of the example', () => {
    assert.equal(apiMonthly.gpt4o, 2500);
    assert.equal(apiMonthly.claude, 2000);
  });

  it('reproduces the 2–4 month break-even of the example', () => {
    const cases: [number, number, number][] = [
      [apiMonthly.gpt4o, 40, 2.1],
      [apiMonthly.claude, 40, 2.8],
      [apiMonthly.gpt4o, 100, 3.0],
      [apiMonthly.claude, 100, 4.0],
    ];
    for (const [apiMonthlyUsd, setupHours, months] of cases) {
      const r = roi({ apiMonthlyUsd, customMonthlyUsd, setupHours, hourlyRateUsd, trainingCostUsd });
      assert.equal(r.monthlySavingsUsd, apiMonthlyUsd - 500);
      assert.equal(r.upfrontUsd, setupHours * 30 + 3000);
      assert.ok(Math.abs((r.breakEvenMonths ?? NaN) - months) < 1e-12, `${apiMonthlyUsd}/${setupHours}: ${r.breakEvenMonths}`);
      assert.ok(r.breakEvenMonths! >= 2 && r.breakEvenMonths! <= 4);
    }
  });

  it('cumulative spend lines cross at break-even', () => {
    const r = roi({ apiMonthlyUsd: 2500, customMonthlyUsd, setupHours: 40, hourlyRateUsd, trainingCostUsd });
    assert.equal(r.cumulative.length, 13); // months 0..12
    assert.deepEqual(r.cumulative[0], { month: 0, api: 0, custom: 4200 });
    assert.deepEqual(r.cumulative[2], { month: 2, api: 5000, custom: 5200 }); // custom still behind
    assert.deepEqual(r.cumulative[3], { month: 3, api: 7500, custom: 5700 }); // paid off
    // At 2.1 months both lines are at 2,500 × 2.1 = 4,200 + 500 × 2.1 = $5,250.
    const be = r.breakEvenMonths!;
    assert.ok(Math.abs(2500 * be - (4200 + 500 * be)) < 1e-9);
    const firstAhead = r.cumulative.find((c) => c.api >= c.custom)!;
    assert.equal(firstAhead.month, Math.ceil(be));
  });

  it('no savings → no break-even, and the custom line never catches up', () => {
    for (const customMonthly of [2500, 3000]) {
      const r = roi({ apiMonthlyUsd: 2500, customMonthlyUsd: customMonthly, setupHours: 40, hourlyRateUsd, trainingCostUsd });
      assert.equal(r.breakEvenMonths, null);
      assert.ok(r.cumulative.every((c) => c.custom > c.api));
    }
  });

  it('extends the default horizon past a late break-even, and takes an explicit one', () => {
    // $10,000 upfront / $500 savings = 20 months → months 0..21.
    const late = roi({ apiMonthlyUsd: 1000, customMonthlyUsd: 500, setupHours: 0, hourlyRateUsd, trainingCostUsd: 10_000 });
    assert.equal(late.breakEvenMonths, 20);
    assert.equal(late.cumulative.length, 22);
    assert.equal(roi({ apiMonthlyUsd: 1000, customMonthlyUsd: 0, setupHours: 0, hourlyRateUsd, trainingCostUsd: 1e7 }).cumulative.length, 61); // capped at 60
    assert.equal(roi({ apiMonthlyUsd: 2500, customMonthlyUsd, setupHours: 40, hourlyRateUsd, trainingCostUsd }, 24).cumulative.length, 25);
    assert.equal(roi({ apiMonthlyUsd: 2500, customMonthlyUsd, setupHours: 0, hourlyRateUsd, trainingCostUsd: 0 }).breakEvenMonths, 0);
  });
});
