import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { liteLlmSnapshot, PriceCatalog } from '../../src/core/cost/catalog';
import { gpuTable } from '../../src/core/cost/gpus';
import { trainingPrices } from '../../src/core/cost/trainingPrices';
import { parseManifest } from '../../src/core/project/manifest';

const perMillion = (perToken: number | undefined): number => Math.round((perToken ?? NaN) * 1e6 * 1e6) / 1e6;

describe('cost: price catalog', () => {
  // The copy the runtime ships (data/SOURCES.md says where it comes from).
  const json: unknown = JSON.parse(readFileSync(join(__dirname, '..', '..', 'data', 'model_prices.json'), 'utf8'));
  const catalog = PriceCatalog.create(json, liteLlmSnapshot);

  it('loads the shipped LiteLLM snapshot with its date', () => {
    assert.equal(catalog.snapshot.date, '2025-09-05');
    assert.equal(catalog.snapshot.license, 'MIT');
    const gpt4o = catalog.inference('gpt-4o');
    assert.ok(gpt4o);
    assert.equal(perMillion(gpt4o.inputPerToken), 2.5);
    assert.equal(perMillion(gpt4o.outputPerToken), 10);
    assert.equal(gpt4o.maxInputTokens, 128000);
    assert.equal(gpt4o.provider, 'openai');
    assert.match(gpt4o.source, /2025-09-05/);
  });

  it('reads fine-tuned inference rows (ft:…)', () => {
    const ft = catalog.inference('ft:gpt-4o-mini-2024-07-18');
    assert.equal(perMillion(ft?.inputPerToken), 0.3);
    assert.equal(perMillion(ft?.outputPerToken), 1.2);
    // An OpenAI fine-tuned model id (ft:BASE:org:suffix:id) is priced as its base's ft: row.
    assert.equal(catalog.inference('ft:gpt-4o-mini-2024-07-18:acme:support:abc123')?.model, 'ft:gpt-4o-mini-2024-07-18');
  });

  it('finds provider-prefixed and differently cased names', () => {
    assert.equal(catalog.inference('openai/gpt-4o')?.model, 'openai/gpt-4o'); // the exact key first
    assert.equal(catalog.inference('someproxy/gpt-4o')?.model, 'gpt-4o'); // prefix stripped
    assert.equal(catalog.inference('anthropic/claude-3-5-sonnet-20240620')?.model, 'claude-3-5-sonnet-20240620');
    assert.match(catalog.inference('mistralai/Mistral-7B-Instruct-v0.1')?.model ?? '', /\/mistralai\/Mistral-7B-Instruct-v0\.1$/); // a hub id inside a provider key
    assert.equal(catalog.inference('GPT-4O')?.model, 'gpt-4o');
    assert.equal(catalog.inference('no-such-model'), undefined);
  });

  it('resolves a base model to its fine-tuned inference price', () => {
    assert.equal(catalog.fineTunedInference('gpt-4o-mini')?.model, 'ft:gpt-4o-mini-2024-07-18');
    assert.equal(perMillion(catalog.fineTunedInference('gpt-4o')?.outputPerToken), 15); // ft:gpt-4o-2024-08-06
    assert.equal(catalog.fineTunedInference('gpt-3.5-turbo')?.model, 'ft:gpt-3.5-turbo-0125');
    // No ft: row in the snapshot for gpt-4.1-mini: the training table's price (0.80 / 3.20).
    const mini41 = catalog.fineTunedInference('openai/gpt-4.1-mini');
    assert.equal(perMillion(mini41?.inputPerToken), 0.8);
    assert.equal(perMillion(mini41?.outputPerToken), 3.2);
    assert.match(mini41?.source ?? '', /openai\.com/);
    assert.equal(catalog.fineTunedInference('claude-3-5-sonnet-20240620'), undefined);
  });

  it('resolves training prices by undated name to the dated snapshot', () => {
    const mini = catalog.training('gpt-4o-mini');
    assert.equal(mini?.model, 'gpt-4o-mini-2024-07-18');
    assert.equal(mini?.perMillionTokens, 3);
    assert.equal(mini?.contextLimit, 65536);
    assert.equal(catalog.training('gpt-4o')?.model, 'gpt-4o-2024-08-06');
    assert.equal(catalog.training('gpt-4o')?.perMillionTokens, 25);
    assert.equal(catalog.training('openai/gpt-4.1-nano')?.perMillionTokens, 1.5);
    assert.equal(catalog.training('GPT-3.5-TURBO')?.perMillionTokens, 8);
    assert.equal(catalog.training('o4-mini')?.perHour, 100);
    assert.equal(catalog.training('o4-mini')?.perMillionTokens, undefined);
    assert.equal(catalog.training('gpt-4o-mini-2024-07-18')?.perMillionTokens, 3);
    assert.equal(catalog.training('llama-3'), undefined);
  });

  it('picks size tiers of providers that price by parameter count', () => {
    assert.equal(catalog.trainingForSize('together', 7e9)?.perMillionTokens, 0.48);
    assert.equal(catalog.trainingForSize('together', 16e9)?.perMillionTokens, 0.48);
    assert.equal(catalog.trainingForSize('together', 16.5e9)?.perMillionTokens, 1.5);
    assert.equal(catalog.trainingForSize('together', 70e9)?.perMillionTokens, 2.9);
    assert.equal(catalog.trainingForSize('together', 405e9), undefined);
    assert.equal(catalog.trainingForSize('Fireworks', 8e9)?.perMillionTokens, 0.5);
    assert.equal(catalog.trainingForSize('fireworks', 16.1e9)?.perMillionTokens, 3);
  });

  it('gives every training and GPU row a source and a date', () => {
    for (const t of trainingPrices) assert.ok(/^https:\/\//.test(t.source) && /^\d{4}-\d{2}$/.test(t.date), t.model);
    for (const g of gpuTable) {
      assert.ok(g.source.length > 20 && /^\d{4}-\d{2}$/.test(g.date), g.name);
      assert.ok(g.memoryGb > 0 && g.peakBf16Tflops > 0 && g.hourlyUsd > 0, g.name);
    }
    assert.equal(catalog.trainingModels().length, trainingPrices.length);
    assert.equal(catalog.gpus().length, gpuTable.length);
  });

  it('finds GPUs by name or alias, ignoring case, spaces, dashes and "NVIDIA"', () => {
    assert.equal(catalog.gpu('h100')?.name, 'H100 SXM 80GB');
    assert.equal(catalog.gpu('H100 PCIe')?.name, 'H100 PCIe 80GB');
    assert.equal(catalog.gpu('NVIDIA A100-SXM4-80GB')?.name, 'A100 80GB');
    assert.equal(catalog.gpu('a100')?.name, 'A100 80GB');
    assert.equal(catalog.gpu('A100-40GB')?.name, 'A100 40GB');
    assert.equal(catalog.gpu('4090')?.name, 'RTX 4090 24GB');
    assert.equal(catalog.gpu('Tesla T4')?.name, 'T4 16GB');
    assert.equal(catalog.gpu('h100')?.peakBf16Tflops, 989); // dense, not the 1,979 sparse figure
    assert.equal(catalog.gpu('B200'), undefined);
  });

  it('suggests the nearest known names', () => {
    assert.ok(catalog.suggest('gpt4o-mini', 'inference').includes('gpt-4o-mini'));
    assert.equal(catalog.suggest('gtp-4o', 'inference')[0], 'gpt-4o'); // a swap costs one edit
    assert.equal(catalog.suggest('gpt-4o-mni', 'training')[0], 'gpt-4o-mini');
    assert.equal(catalog.suggest('h10', 'gpu')[0], 'H100 SXM 80GB');
    assert.ok(catalog.suggest('llama 3.1 8b instruct', 'inference', 5).some((s) => /llama-?3\.1-8b-instruct/i.test(s)));
    assert.equal(catalog.suggest('gpt4o-mini', 'inference', 2).length, 2);
    assert.deepEqual(catalog.suggest('', 'inference'), []);
  });

  it('skips malformed catalog rows', () => {
    const c = PriceCatalog.create(
      {
        text: { input_cost_per_token: '0.1', output_cost_per_token: 1 },
        negative: { input_cost_per_token: -1, output_cost_per_token: 1 },
        nul: null,
        image: { output_cost_per_image: 0.04 },
        embed: { input_cost_per_token: 1e-7, mode: 'embedding' },
        ok: { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6, max_input_tokens: 'many' },
      },
      liteLlmSnapshot,
    );
    assert.equal(c.inference('text'), undefined);
    assert.equal(c.inference('negative'), undefined);
    assert.equal(c.inference('image'), undefined);
    assert.equal(c.inference('embed')?.outputPerToken, 0);
    assert.deepEqual(c.inference('ok'), { model: 'ok', inputPerToken: 1e-6, outputPerToken: 2e-6, source: 'LiteLLM price snapshot 2025-09-05' });
    assert.equal(PriceCatalog.create(null, liteLlmSnapshot).inference('gpt-4o'), undefined);
  });

  describe('overrides from llmops.yaml prices:', () => {
    it('win over inference, training and GPU prices, leaving the base catalog alone', () => {
      const { catalog: c, problems } = catalog.withOverrides({
        'gpt-4o-mini': { input_per_million: 0.1 },
        'gpt-4o': { training_per_million: 20 },
        h100: { gpu_hourly: 2 },
        'my-model': { input_per_million: 1, output_per_million: 2 },
        'ft:gpt-4.1-mini-2025-04-14': { input_per_million: 0.5, output_per_million: 2 },
        'B200 192GB': { gpu_hourly: 6, gpu_memory_gb: 192, gpu_bf16_tflops: 2250 },
        'my-base': { training_per_million: 1, context_limit: 8192 },
      });
      assert.deepEqual(problems, []);
      const mini = c.inference('gpt-4o-mini');
      assert.equal(perMillion(mini?.inputPerToken), 0.1);
      assert.equal(perMillion(mini?.outputPerToken), 0.6); // not overridden: the catalog's
      assert.equal(mini?.overridden, true);
      assert.equal(mini?.maxInputTokens, 128000);
      assert.equal(c.inference('someproxy/gpt-4o-mini')?.overridden, true);

      const t = c.training('gpt-4o');
      assert.equal(t?.perMillionTokens, 20);
      assert.equal(t?.model, 'gpt-4o-2024-08-06');
      assert.equal(t?.contextLimit, 65536);
      assert.equal(t?.overridden, true);
      assert.equal(c.training('my-base')?.contextLimit, 8192);

      assert.equal(c.gpu('H100 SXM 80GB')?.hourlyUsd, 2);
      assert.equal(c.gpu('h100')?.peakBf16Tflops, 989);
      assert.equal(c.gpu('b200 192gb')?.memoryGb, 192);
      assert.equal(c.gpus().length, gpuTable.length + 1);

      assert.equal(perMillion(c.inference('my-model')?.outputPerToken), 2);
      assert.equal(perMillion(c.fineTunedInference('gpt-4.1-mini')?.inputPerToken), 0.5);

      // The base catalog is unchanged.
      assert.equal(perMillion(catalog.inference('gpt-4o-mini')?.inputPerToken), 0.15);
      assert.equal(catalog.training('gpt-4o')?.perMillionTokens, 25);
      assert.equal(catalog.gpu('h100')?.hourlyUsd, 2.99);
    });

    it('reports 0, negative, non-number and unknown keys with their path, and ignores only those', () => {
      const { catalog: c, problems } = catalog.withOverrides({
        'gpt-4o': { input_per_million: 0, output_per_million: 8 },
        'gpt-4o-mini': { output_per_million: -1 },
        'gpt-4.1': { input_per_million: 'cheap' },
        h100: { gpu_hourly: 2, input_per_mtok: 1 },
        bad: 'x',
      });
      const byPath = new Map(problems.map((p) => [JSON.stringify(p.path), p]));
      assert.equal(byPath.get('["gpt-4o","input_per_million"]')?.message, 'price must be greater than 0');
      assert.equal(byPath.get('["gpt-4o-mini","output_per_million"]')?.message, 'price must be greater than 0');
      assert.match(byPath.get('["gpt-4.1","input_per_million"]')?.message ?? '', /expected number/);
      assert.equal(byPath.get('["h100","input_per_mtok"]')?.message, 'Unknown key "input_per_mtok"');
      assert.match(byPath.get('["bad"]')?.message ?? '', /expected object/);
      assert.equal(byPath.get('["bad"]')?.key, 'bad');
      assert.equal(problems.length, 5);
      // The valid rest of each entry still applies.
      assert.equal(perMillion(c.inference('gpt-4o')?.inputPerToken), 2.5);
      assert.equal(perMillion(c.inference('gpt-4o')?.outputPerToken), 8);
      assert.equal(c.inference('gpt-4o-mini')?.overridden, undefined);
      assert.equal(c.gpu('h100')?.hourlyUsd, 2);
    });

    it('reports an unknown model or GPU that lacks a full price, with suggestions', () => {
      const { catalog: c, problems } = catalog.withOverrides({
        'gpt4o-mini': { input_per_million: 0.2 },
        B200: { gpu_hourly: 5 },
        'my-base': { context_limit: 4096 },
      });
      assert.deepEqual(
        problems.map((p) => p.path),
        [['gpt4o-mini'], ['B200'], ['my-base', 'context_limit']],
      );
      assert.match(problems[0]!.message, /Unknown model "gpt4o-mini" \(did you mean gpt-4o-mini.*\): a model not in the catalog needs both input_per_million and output_per_million/);
      assert.match(problems[1]!.message, /Unknown GPU "B200".*needs gpu_hourly, gpu_memory_gb and gpu_bf16_tflops/);
      assert.match(problems[2]!.message, /No fine-tuning price for "my-base"/);
      assert.equal(c.inference('gpt4o-mini'), undefined);
    });

    it('accepts nothing to override and reports a prices: that is not a map', () => {
      assert.equal(catalog.withOverrides(undefined).catalog, catalog);
      assert.deepEqual(catalog.withOverrides({}).problems, []);
      const r = catalog.withOverrides([1, 2]);
      assert.deepEqual(r.problems, [{ key: '', path: [], message: 'prices: expected a map from model or GPU names to prices' }]);
    });

    it('match the llmops.yaml schema, which reports the same problems in the editor', () => {
      const ok = parseManifest(
        ['version: 1', 'project: {name: p}', 'prices:', '  gpt-4o-mini: {input_per_million: 0.15, output_per_million: 0.6, training_per_million: 3, context_limit: 65536}', '  H100: {gpu_hourly: 2.5, gpu_memory_gb: 80, gpu_bf16_tflops: 989}'].join('\n'),
      );
      assert.deepEqual(ok.problems, []);
      assert.equal(ok.manifest?.prices?.H100?.gpu_hourly, 2.5);
      const bad = parseManifest(['version: 1', 'project: {name: p}', 'prices:', '  gpt-4o: {input_per_million: 0, per_mtok: 1}'].join('\n'));
      assert.deepEqual(
        bad.problems.map((p) => [p.path, p.message, p.line, p.column]),
        [
          [['prices', 'gpt-4o', 'input_per_million'], 'price must be greater than 0', 3, 30],
          [['prices', 'gpt-4o', 'per_mtok'], 'Unknown key "per_mtok"', 3, 33],
        ],
      );
    });
  });
});
