import { isObj } from './messages';

/** Formats the "Convert to OpenAI chat" action rewrites. */
export const convertibleToChat: ReadonlySet<string> = new Set(['sharegpt', 'alpaca', 'trl-prompt-completion']);

type Msg = { role: string; content: string };

const sharegptRoles: Record<string, string> = { human: 'user', user: 'user', gpt: 'assistant', assistant: 'assistant', system: 'system' };

function conversational(v: unknown): Msg[] | null {
  if (!Array.isArray(v)) return null;
  const out: Msg[] = [];
  for (const m of v) {
    if (!isObj(m) || typeof m.role !== 'string' || typeof m.content !== 'string') return null;
    out.push({ role: m.role, content: m.content });
  }
  return out;
}

/**
 * One record converted to OpenAI chat (`{"messages": [...]}`), or null when it cannot be converted
 * without losing information (tool turns in ShareGPT, non-text content): those lines stay as they are.
 */
export function toOpenAIChat(record: unknown, format: string): { messages: Msg[] } | null {
  if (!isObj(record)) return null;
  const messages: Msg[] = [];
  switch (format) {
    case 'sharegpt': {
      if (typeof record.system === 'string' && record.system.trim()) messages.push({ role: 'system', content: record.system });
      if (!Array.isArray(record.conversations)) return null;
      for (const t of record.conversations) {
        if (!isObj(t) || typeof t.value !== 'string') return null;
        const role = sharegptRoles[String(t.from)];
        if (!role) return null;
        messages.push({ role, content: t.value });
      }
      break;
    }
    case 'alpaca': {
      if (typeof record.instruction !== 'string' || typeof record.output !== 'string') return null;
      if (typeof record.system === 'string' && record.system.trim()) messages.push({ role: 'system', content: record.system });
      if (Array.isArray(record.history)) {
        for (const h of record.history) {
          if (!Array.isArray(h) || typeof h[0] !== 'string' || typeof h[1] !== 'string') return null;
          messages.push({ role: 'user', content: h[0] }, { role: 'assistant', content: h[1] });
        }
      }
      const input = typeof record.input === 'string' ? record.input.trim() : '';
      messages.push({ role: 'user', content: input ? `${record.instruction}\n\n${record.input}` : record.instruction });
      messages.push({ role: 'assistant', content: record.output });
      break;
    }
    case 'trl-prompt-completion': {
      if (typeof record.prompt === 'string' && typeof record.completion === 'string') {
        messages.push({ role: 'user', content: record.prompt }, { role: 'assistant', content: record.completion });
        break;
      }
      const p = conversational(record.prompt);
      const c = conversational(record.completion);
      if (!p || !c) return null;
      messages.push(...p, ...c);
      break;
    }
    default:
      return null;
  }
  return { messages };
}

/**
 * The whole text with every convertible record rewritten; other lines (already chat, invalid JSON,
 * unconvertible) are kept byte for byte. Returns the text and how many records changed.
 */
export function convertTextToOpenAIChat(lines: readonly string[], detect: (value: unknown) => string): { text: string; converted: number; kept: number } {
  let converted = 0;
  let kept = 0;
  const out = lines.map((line) => {
    if (!line.trim()) return line;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      kept++;
      return line;
    }
    const format = detect(value);
    if (!convertibleToChat.has(format)) return line;
    const chat = toOpenAIChat(value, format);
    if (!chat) {
      kept++;
      return line;
    }
    converted++;
    return JSON.stringify(chat);
  });
  return { text: out.join('\n'), converted, kept };
}
