import type { RecordRule } from '../types';
import { reportPii } from './piiShared';

export const piiEmail: RecordRule = {
  code: 'LD029',
  name: 'pii-email',
  scope: 'record',
  defaultSeverity: 'warning',
  summary: 'A record contains an email address.',
  fix: { title: 'Mask the email address', applicability: 'unsafe' },
  doc: {
    what: 'Finds email addresses in records (reserved example domains are reported with a note).',
    why: 'Fine-tuned models memorise and can reproduce personal data from their training set; under GDPR/CCPA training data with personal data needs a legal basis. Mask or replace real addresses with placeholders.',
    example: '{"messages": [{"role": "user", "content": "Share it with jane.doe@acme.io"}, ...]}',
    useInstead: '{"messages": [{"role": "user", "content": "Share it with j***@acme.io"}, ...]}',
  },
  check(_record, ctx) {
    reportPii(piiEmail, 'email', ctx, 'personal data the model can memorise and repeat');
  },
};
