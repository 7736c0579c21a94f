/**
 * Hosted fine-tuning prices: the LiteLLM catalog has inference prices only. One row per model (or per
 * size tier where a provider prices by parameter count), each with its page and the month it was read.
 * Prices change: users override them under `prices:` in llmops.yaml.
 */
import type { TrainingPrice } from './catalog';

const openAi = 'https://openai.com/api/pricing/';
const together = 'https://www.together.ai/pricing';
const fireworks = 'https://fireworks.ai/pricing';
const date = '2025-09';

export const trainingPrices: TrainingPrice[] = [
  {
    model: 'gpt-4o-2024-08-06',
    provider: 'openai',
    perMillionTokens: 25,
    contextLimit: 65536,
    note: 'Fine-tuned inference $3.75 / $15 per 1M (ft:gpt-4o-2024-08-06)',
    source: openAi,
    date,
  },
  {
    model: 'gpt-4o-mini-2024-07-18',
    provider: 'openai',
    perMillionTokens: 3,
    contextLimit: 65536,
    note: 'Fine-tuned inference $0.30 / $1.20 per 1M (ft:gpt-4o-mini-2024-07-18)',
    source: openAi,
    date,
  },
  {
    model: 'gpt-4.1-2025-04-14',
    provider: 'openai',
    perMillionTokens: 25,
    fineTunedInputPerMillion: 3,
    fineTunedOutputPerMillion: 12,
    note: 'Training example limit: see the OpenAI fine-tuning guide (set context_limit to clip)',
    source: openAi,
    date,
  },
  {
    model: 'gpt-4.1-mini-2025-04-14',
    provider: 'openai',
    perMillionTokens: 5,
    fineTunedInputPerMillion: 0.8,
    fineTunedOutputPerMillion: 3.2,
    note: 'Training example limit: see the OpenAI fine-tuning guide (set context_limit to clip)',
    source: openAi,
    date,
  },
  {
    model: 'gpt-4.1-nano-2025-04-14',
    provider: 'openai',
    perMillionTokens: 1.5,
    fineTunedInputPerMillion: 0.2,
    fineTunedOutputPerMillion: 0.8,
    note: 'Training example limit: see the OpenAI fine-tuning guide (set context_limit to clip)',
    source: openAi,
    date,
  },
  {
    model: 'gpt-3.5-turbo-0125',
    provider: 'openai',
    perMillionTokens: 8,
    contextLimit: 16385,
    note: 'Legacy; fine-tuned inference $3 / $6 per 1M',
    source: openAi,
    date,
  },
  { model: 'davinci-002', provider: 'openai', perMillionTokens: 6, note: 'Legacy completions model', source: openAi, date },
  { model: 'babbage-002', provider: 'openai', perMillionTokens: 0.4, note: 'Legacy completions model', source: openAi, date },
  {
    model: 'o4-mini-2025-04-16',
    provider: 'openai',
    perHour: 100,
    fineTunedInputPerMillion: 4,
    fineTunedOutputPerMillion: 16,
    note: 'Reinforcement fine-tuning, billed per hour of training (wall clock), not per token',
    source: openAi,
    date,
  },
  {
    model: 'together-lora-sft-up-to-16b',
    provider: 'together',
    perMillionTokens: 0.48,
    maxParams: 16e9,
    note: 'LoRA SFT, models up to 16B parameters; billed on tokens processed (dataset tokens × epochs, plus eval tokens)',
    source: together,
    date,
  },
  {
    model: 'together-lora-sft-17b-69b',
    provider: 'together',
    perMillionTokens: 1.5,
    minParams: 16e9,
    maxParams: 69e9,
    note: 'LoRA SFT, models of 17B–69B parameters',
    source: together,
    date,
  },
  {
    model: 'together-lora-sft-70b-100b',
    provider: 'together',
    perMillionTokens: 2.9,
    minParams: 69e9,
    maxParams: 100e9,
    note: 'LoRA SFT, models of 70B–100B parameters',
    source: together,
    date,
  },
  {
    model: 'fireworks-sft-up-to-16b',
    provider: 'fireworks',
    perMillionTokens: 0.5,
    maxParams: 16e9,
    note: 'Supervised fine-tuning (LoRA), base models up to 16B parameters',
    source: fireworks,
    date,
  },
  {
    model: 'fireworks-sft-16b-80b',
    provider: 'fireworks',
    perMillionTokens: 3,
    minParams: 16e9,
    maxParams: 80e9,
    note: 'Supervised fine-tuning (LoRA), base models of 16.1B–80B parameters',
    source: fireworks,
    date,
  },
];
