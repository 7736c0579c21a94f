import { strict as assert } from 'node:assert';
import { findPii, maskPii, type PiiKind } from '../../src/core/quality/pii';

/** A JSONL line with `text` as a message content, written the way JSON.stringify writes it. */
const line = (text: string): string => JSON.stringify({ messages: [{ role: 'user', content: text }] });

function found(text: string): { kind: PiiKind; value: string; detail?: string }[] {
  const l = line(text);
  return findPii(l).map((m) => {
    assert.equal(l.slice(m.offset, m.offset + m.length), m.value, 'offset and value agree');
    return m.detail === undefined ? { kind: m.kind, value: m.value } : { kind: m.kind, value: m.value, detail: m.detail };
  });
}
const values = (text: string): string[] => found(text).map((m) => m.value);

// Fake but well-formed keys, assembled so that this file itself does not look like it leaks any.
const k = (...parts: string[]): string => parts.join('');
const OPENAI = k('sk-', 'proj-', 'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_Ab3dEf6hIj9k');
const OPENAI_LEGACY = k('sk-', 'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb3dEf6hIj9kLm2n');
const ANTHROPIC = k('sk-ant-', 'api03-', 'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAA');
const GITHUB = k('ghp', '_', 'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb3d');
const GITHUB_PAT = k('github', '_pat_', '11ABCDEFG0abcdefghijkl_', 'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb3dEf6hIj9kLm2nOp5qRs8tUv1wXy4');
const AWS = k('AKIA', 'Z7Q2XW4L3M5N6P7R');
const AWS_DOC = k('AKIA', 'IOSFODNN7EXAMPLE');
const SLACK = k('xoxb', '-', '123456789012-1234567890123-Ab3dEf6hIj9kLm2nOp5qRs8t');
const GOOGLE = k('AIza', 'SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q');
const STRIPE = k('sk_', 'live_', '51Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z');
const HF = k('hf', '_', 'AbcdEfghIjklMnopQrstUvwxYzabCdefGhij');
const JWT = k('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', '.', 'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ', '.', 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c');
const PEM = k('-----BEGIN ', 'RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1b2C3d4E5f6G7h8I9j0K\n-----END RSA ', 'PRIVATE KEY-----');

describe('findPii', () => {
  describe('e-mail', () => {
    it('finds addresses and gives their exact range', () => {
      assert.deepEqual(found('Write to jane.doe+news@mail.acme-corp.co.uk today.'), [{ kind: 'email', value: 'jane.doe+news@mail.acme-corp.co.uk' }]);
      assert.deepEqual(values('<bob_smith@gmail.com>, ALICE@Company.IO'), ['bob_smith@gmail.com', 'ALICE@Company.IO']);
      assert.deepEqual(values('mailto:bob@gmail.com'), ['bob@gmail.com']);
    });

    it('treats JSON escapes as separators', () => {
      assert.deepEqual(values('line one\nbob@gmail.com\tnext'), ['bob@gmail.com']);
      assert.deepEqual(values('"quoted bob@gmail.com"'), ['bob@gmail.com']);
      assert.deepEqual(findPii('{"a": "x\\u00e9bob@gmail.com"}').map((m) => m.value), ['bob@gmail.com']);
    });

    it('marks reserved example domains', () => {
      assert.deepEqual(found('jane@example.com or j@sub.example.org, a@b.test'), [
        { kind: 'email', value: 'jane@example.com', detail: 'example domain' },
        { kind: 'email', value: 'j@sub.example.org', detail: 'example domain' },
        { kind: 'email', value: 'a@b.test', detail: 'example domain' },
      ]);
      assert.equal(found('jane@examples.com')[0].detail, undefined);
    });

    const negatives = [
      'user@example',
      'npm i react@18.2.0 lodash@4.17.21',
      'npm i react@latest',
      'import x from "@types/node"',
      '@property def x(self): pass',
      'ping @channel and @bob',
      'icon@2x.png and logo@3x.webp',
      'git clone git@github.com:org/repo.git',
      'https://user:hunter2@db.internal.net/x',
      'a@b.c',
      'weird@-bad-.com',
      'x@.com',
      'email me at @ some point',
      'price: 3 @ $4.50 each',
    ];
    for (const text of negatives) it(`does not flag ${JSON.stringify(text)}`, () => assert.deepEqual(found(text), []));
  });

  describe('phone', () => {
    const positives: [string, string][] = [
      ['Call (415) 555-2671 now', '(415) 555-2671'],
      ['Call 415-555-2671.', '415-555-2671'],
      ['415.555.2671', '415.555.2671'],
      ['tel 415 555 2671', '415 555 2671'],
      ['1-415-555-2671', '1-415-555-2671'],
      ['1 (415) 555-2671', '1 (415) 555-2671'],
      ['+14155552671', '+14155552671'],
      ['+1 415 555 2671', '+1 415 555 2671'],
      ['+1 (415) 555-2671', '+1 (415) 555-2671'],
      ['+44 20 7946 0958', '+44 20 7946 0958'],
      ['+33 6 12 34 56 78', '+33 6 12 34 56 78'],
      ['+49 30 1234567', '+49 30 1234567'],
      ['020 7946 0958', '020 7946 0958'],
      ['07700 900123', '07700 900123'],
      ['06 12 34 56 78', '06 12 34 56 78'],
      ['06.12.34.56.78', '06.12.34.56.78'],
      ['(030) 1234567', '(030) 1234567'],
      ['030 12345678', '030 12345678'],
      ['0044 20 7946 0958', '0044 20 7946 0958'],
      ['on 2025-06-16 415-555-2671', '415-555-2671'],
      ['415-555-2671 2025', '415-555-2671'],
      ['phone=415-555-2671', '415-555-2671'],
    ];
    for (const [text, value] of positives) {
      it(`finds ${value}`, () => assert.deepEqual(found(text), [{ kind: 'phone', value }]));
    }

    it('finds a number after an escaped newline', () => {
      assert.deepEqual(values('call me:\n415-555-2671\nthanks'), ['415-555-2671']);
    });

    const negatives = [
      '2025-06-16T09:00:00Z',
      'created_at 2025-06-16 09:00:00',
      'due 2025-06-20, 06/16/2025, 16.06.2025',
      '09:00:00 to 17:30:00',
      'task_100042',
      '{"id": "task_100042", "status": "open"}',
      'order #4821 and ORD-2025-000123 and PR 1290',
      'invoice INV-000123456789',
      'epoch 1718528400 and 1718528400000 ms',
      'amount 5551234567',
      'version 1.2.3 and v10.20.30.40 and 2.0.0-rc.1',
      'ip 192.168.100.200 and 10.0.0.1',
      'uuid 123e4567-e89b-12d3-a456-426614174000',
      'uuid 12345678-1234-1234-1234-123456789012',
      'price $1,234,567.89 and €12 345 678',
      '1 000 000 000 tokens',
      'coords -122.4194, 37.7749',
      'ISBN 978-3-16-148410-0',
      'sha 3f786850e387550fdab836ed7e6dc881de23001b',
      'base64 aGVsbG8gd29ybGQ0MTU1NTUyNjcxMjM0NTY3ODkw==',
      'path /v1/2025/06/16/1234567',
      'ratio 3.14159265358979',
      '123-456-7890',
      '555-1234',
      '100 200 3000',
      '000 000 000 and 0000 0000 0000',
      '00 00 00 00 00',
      'range 2020-2025 and 1999-2000-2001',
      'math 3+14155552671',
    ];
    for (const text of negatives) it(`does not flag ${JSON.stringify(text)}`, () => assert.deepEqual(found(text), []));
  });

  describe('credit card', () => {
    const positives: [string, string, string][] = [
      ['card 4242 4242 4242 4242 exp 12/29', '4242 4242 4242 4242', 'test card number'],
      ['4111-1111-1111-1111', '4111-1111-1111-1111', 'test card number'],
      ['4539578763621486', '4539578763621486', 'visa'],
      ['5425 2334 3010 9903', '5425 2334 3010 9903', 'mastercard'],
      ['2223 0031 2200 3222', '2223 0031 2200 3222', 'test card number'],
      ['amex 3714 496353 98431', '3714 496353 98431', 'test card number'],
      ['374245455400126', '374245455400126', 'amex'],
      ['6011 0009 9013 9424', '6011 0009 9013 9424', 'test card number'],
      ['3566 0020 2036 0505', '3566 0020 2036 0505', 'test card number'],
    ];
    for (const [text, value, detail] of positives) {
      it(`finds ${value} (${detail})`, () => assert.deepEqual(found(text), [{ kind: 'credit-card', value, detail }]));
    }

    it('says when a card number is a JSON number, not in a string', () => {
      const l = '{"card": 4539578763621486, "note": "4539578763621486"}';
      assert.deepEqual(
        findPii(l).map((m) => [m.kind, m.inString]),
        [
          ['credit-card', false],
          ['credit-card', true],
        ],
      );
    });

    const negatives = [
      '4242 4242 4242 4241',
      '4539578763621487',
      '1234567890123456',
      '4242-4242-4242-4242-4242',
      '0000 0000 0000 0000',
      '4242.4242.4242.4242',
      '4242 4242-4242 4242',
      '42424242424242424242424',
      'id 9007199254740993 and 1718528400000',
      'tx_4539578763621486',
      '4539578763621486abc',
    ];
    for (const text of negatives) it(`does not flag ${JSON.stringify(text)}`, () => assert.deepEqual(found(text), []));
  });

  describe('secret keys', () => {
    const positives: [string, string][] = [
      [OPENAI, 'openai'],
      [OPENAI_LEGACY, 'openai'],
      [ANTHROPIC, 'anthropic'],
      [GITHUB, 'github'],
      [GITHUB_PAT, 'github'],
      [AWS, 'aws'],
      [AWS_DOC, 'aws (documentation example)'],
      [SLACK, 'slack'],
      [GOOGLE, 'google'],
      [STRIPE, 'stripe'],
      [HF, 'hugging-face'],
      [JWT, 'jwt'],
    ];
    for (const [key, detail] of positives) {
      it(`finds a ${detail} key`, () => {
        assert.deepEqual(found(`export KEY="${key}" # here`), [{ kind: 'secret-key', value: key, detail }]);
        assert.deepEqual(found(`Authorization: Bearer ${key}\nnext`), [{ kind: 'secret-key', value: key, detail }]);
      });
    }

    it('finds a JWT with a long payload', () => {
      const long = k('eyJhbGciOiJIUzI1NiJ9', '.', 'eyJ' + 'a'.repeat(3000), '.', 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c');
      assert.deepEqual(values(`token ${long} end`), [long]);
    });

    it('finds a PEM private key through its footer', () => {
      const l = line(`here: ${PEM} done`);
      const [m] = findPii(l);
      assert.equal(m.kind, 'secret-key');
      assert.equal(m.detail, 'private key');
      assert.ok(m.value.startsWith('-----BEGIN RSA PRIVATE KEY-----') && m.value.endsWith('-----END RSA PRIVATE KEY-----'));
      const noFooter = k('-----BEGIN ', 'OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA');
      assert.equal(findPii(line(noFooter))[0].value, k('-----BEGIN ', 'OPENSSH PRIVATE KEY-----'));
      // A header alone, as in documentation about the format, is not a key.
      assert.deepEqual(findPii(line(k('The file starts with -----BEGIN ', 'OPENSSH PRIVATE KEY----- and ends...'))), []);
    });

    const negatives = [
      'pip install sk-learn-is-a-great-library-for-machine-learning',
      'desk-lamp-with-a-long-descriptive-name-here',
      'task-sk-0123',
      'from huggingface_hub import hf_hub_download',
      'hf_abcdefghijklmnopqrstuvwxyzabcdefgh',
      'ghp_short',
      'the AKIA prefix and AKIAshort',
      k('xAKIA', 'Z7Q2XW4L3M5N6P7R'),
      k('AKIA', 'Z7Q2XW4L3M5N6P7RX'),
      k('AIza', 'SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6'),
      'eyJhbGciOiJIUzI1NiJ9 without dots',
      'aGVsbG8gd29ybGQgZXlKaGJHY2lPaUpJVXpJMU5pSjk=',
      'ZXlKaGJHY2lPaUpJVXpJMU5pSjkuZXlKemRXSWlPaUl4TWpNME5UWTNPRGt3SW4w',
      '-----BEGIN PUBLIC KEY-----',
      '-----BEGIN CERTIFICATE-----',
      'xoxb-not-a-token',
      'sk_test_and_rk_live',
    ];
    for (const text of negatives) it(`does not flag ${JSON.stringify(text)}`, () => assert.deepEqual(found(text), []));
  });

  it('reports several findings in order without overlaps', () => {
    const ms = found(`mail bob@gmail.com, call +1 415 555 2671, card 4539578763621486, key ${GITHUB}`);
    assert.deepEqual(
      ms.map((m) => m.kind),
      ['email', 'phone', 'credit-card', 'secret-key'],
    );
  });

  it('finds nothing in an ordinary chat record', () => {
    const record = JSON.stringify({
      messages: [
        { role: 'system', content: 'You are TaskBot. Keep answers short.' },
        { role: 'user', content: 'Add "invoice #4821" for June 30 with priority high? Request 123456.' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_123456', type: 'function', function: { name: 'create_task', arguments: '{"title":"invoice #4821","due_date":"2025-06-20","priority":"high"}' } }] },
        { role: 'tool', tool_call_id: 'call_123456', content: '{"id":"task_223456","status":"open","created_at":"2025-06-16T09:00:00Z"}' },
        { role: 'assistant', content: 'Done! (task_223456) ✅ Costs $12.50, v1.2.3, 45.6%, 3/4 done, sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' },
      ],
    });
    assert.deepEqual(findPii(record), []);
  });

  it('stays linear on adversarial megabyte lines', () => {
    const inputs = ['11 '.repeat(300_000), '1-'.repeat(500_000), '7'.repeat(1_000_000), '@'.repeat(1_000_000), 'a@'.repeat(500_000), 'a.b@c'.repeat(200_000), 'sk-'.repeat(300_000), '-'.repeat(1_000_000), '_'.repeat(1_000_000), 'A'.repeat(1_000_000), 'AKIA'.repeat(250_000), 'eyJ.'.repeat(250_000), 'J'.repeat(1_000_000), 'eyJ-'.repeat(250_000), 'eyJabcdefghij.'.repeat(70_000), '\\'.repeat(500_000)];
    for (const text of inputs) {
      const t0 = performance.now();
      findPii(`{"t": "${text}"}`);
      assert.ok(performance.now() - t0 < 5000, `${JSON.stringify(text.slice(0, 8))}… took ${performance.now() - t0} ms`);
    }
  });
});

describe('maskPii', () => {
  it('masks each kind', () => {
    assert.equal(maskPii('jane@example.com', 'email'), 'j***@example.com');
    assert.equal(maskPii('555-867-1234', 'phone'), '***-***-1234');
    assert.equal(maskPii('(415) 555-2671', 'phone'), '(***) ***-2671');
    assert.equal(maskPii('+44 20 7946 0958', 'phone'), '+** ** **** 0958');
    assert.equal(maskPii('4242 4242 4242 4242', 'credit-card'), '**** **** **** 4242');
    assert.equal(maskPii('4539578763621486', 'credit-card'), '************1486');
    assert.equal(maskPii(OPENAI, 'secret-key'), 'sk-proj-…[redacted]');
    assert.equal(maskPii(ANTHROPIC, 'secret-key'), 'sk-ant-…[redacted]');
    assert.equal(maskPii(AWS, 'secret-key'), 'AKIA…[redacted]');
    assert.equal(maskPii(PEM, 'secret-key'), '-----BEGIN RSA PRIVATE KEY-----…[redacted]');
  });

  it('produces text that stays valid inside a JSON string', () => {
    const l = line(`mail bob@gmail.com key ${ANTHROPIC} pem ${PEM} card 4242-4242-4242-4242`);
    let out = l;
    for (const m of findPii(l).reverse()) out = out.slice(0, m.offset) + maskPii(m.value, m.kind) + out.slice(m.offset + m.length);
    const content = JSON.parse(out).messages[0].content as string;
    assert.match(content, /b\*\*\*@gmail\.com/);
    assert.deepEqual(findPii(out), []);
  });
});
