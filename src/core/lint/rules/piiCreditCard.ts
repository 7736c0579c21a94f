import type { RecordRule } from '../types';
import { reportPii } from './piiShared';

export const piiCreditCard: RecordRule = {
  code: 'LD031',
  name: 'pii-credit-card',
  scope: 'record',
  defaultSeverity: 'error',
  summary: 'A record contains a payment card number (Luhn-checked).',
  fix: { title: 'Mask the card number', applicability: 'unsafe' },
  doc: {
    what: 'Finds 13–19 digit payment card numbers with a known issuer prefix and a valid Luhn checksum; well-known test numbers are reported with a note.',
    why: 'Card numbers in training data are a PCI-DSS problem and can be regurgitated by the model verbatim.',
    example: '{"text": "My card is 4111 1111 1111 1111"}',
    useInstead: '{"text": "My card is **** **** **** 1111"}',
  },
  check(_record, ctx) {
    reportPii(piiCreditCard, 'credit-card', ctx, 'never train on payment card data');
  },
};
