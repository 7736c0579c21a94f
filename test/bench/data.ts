import { createWriteStream, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const topics = ['quarterly report', 'dentist appointment', 'team offsite', 'invoice #4821', 'code review for PR 1290', 'grocery run', 'onboarding docs', 'release checklist'];

/** Real function-calling data declares its tools in every record. */
const tools = [
  {
    type: 'function',
    function: {
      name: 'create_task',
      description: 'Create a task in the Task API.',
      parameters: {
        type: 'object',
        properties: {
          title: { type: 'string', description: 'Short task title' },
          due_date: { type: 'string', description: 'YYYY-MM-DD' },
          priority: { type: 'string', enum: ['low', 'medium', 'high'] },
          tags: { type: 'array', items: { type: 'string' } },
        },
        required: ['title'],
        additionalProperties: false,
      },
    },
  },
];

/** One realistic chat-format record (system + user + tool call + tool + assistant), ~1 KB, varied by `i`. */
export function chatLine(i: number): string {
  const topic = topics[i % topics.length];
  return JSON.stringify({
    tools,
    messages: [
      { role: 'system', content: 'You are TaskBot, a productive and friendly assistant for the Task API. Keep answers short, confirm what you did, and ask before deleting anything.' },
      { role: 'user', content: `Can you add "${topic}" for ${['Monday', 'next Friday', 'tomorrow', 'June 30'][i % 4]} with priority ${['high', 'low', 'medium'][i % 3]}? Request ${i}.` },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: `call_${i}`, type: 'function', function: { name: 'create_task', arguments: JSON.stringify({ title: topic, due_date: '2025-06-20', priority: ['high', 'low', 'medium'][i % 3], tags: ['work'] }) } }],
      },
      { role: 'tool', tool_call_id: `call_${i}`, content: JSON.stringify({ id: `task_${100000 + i}`, status: 'open', created_at: '2025-06-16T09:00:00Z' }) },
      { role: 'assistant', content: `Done! "${topic}" is on your list for ${['Monday', 'next Friday', 'tomorrow', 'June 30'][i % 4]} (task_${100000 + i}). Want a reminder the day before? ✅` },
    ],
  });
}

/** Writes (once, cached in the temp folder) a chat-format JSONL of at least `mb` megabytes. */
export async function chatFile(mb: number): Promise<string> {
  const file = join(tmpdir(), `llmops-bench-chat-${mb}mb.jsonl`);
  if (existsSync(file) && statSync(file).size >= mb * 1024 * 1024) return file;
  const out = createWriteStream(file);
  let bytes = 0;
  for (let i = 0; bytes < mb * 1024 * 1024; i++) {
    const line = chatLine(i) + '\n';
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(r));
  return file;
}

export function stats(xs: number[]): { median: number; p95: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p95: q(0.95), min: s[0], max: s[s.length - 1] };
}

export const fmt = (n: number, d = 1): string => n.toFixed(d);
