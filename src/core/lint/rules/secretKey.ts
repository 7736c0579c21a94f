import type { RecordRule } from '../types';
import { reportPii } from './piiShared';

export const secretKey: RecordRule = {
  code: 'LD032',
  name: 'secret-key',
  scope: 'record',
  defaultSeverity: 'error',
  summary: 'A record contains an API key, token or private key.',
  fix: { title: 'Mask the secret', applicability: 'unsafe' },
  doc: {
    what: 'Finds credentials by their known formats: OpenAI, Anthropic, GitHub, AWS, Slack, Google, Stripe and Hugging Face keys, JWTs and PEM private keys.',
    why: 'A model fine-tuned on a secret can print it to anyone who asks the right way, and the dataset file itself leaks it. Rotate the key, then remove it from the data.',
    example: '{"text": "use key sk-proj-AbC123..."}',
    useInstead: '{"text": "use the key from the OPENAI_API_KEY environment variable"}',
  },
  check(_record, ctx) {
    reportPii(secretKey, 'secret-key', ctx, 'rotate it and remove it from the data');
  },
};
