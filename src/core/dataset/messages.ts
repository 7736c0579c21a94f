import type { JsonPath } from '../lint/types';

/** Roles OpenAI accepts in chat fine-tuning data. */
export const chatRoles = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/** Common wrong role names and what they mean (ShareGPT, Gemini, Llama habits). */
export const roleAliases: Readonly<Record<string, string>> = {
  human: 'user',
  User: 'user',
  USER: 'user',
  gpt: 'assistant',
  bot: 'assistant',
  model: 'assistant',
  ai: 'assistant',
  Assistant: 'assistant',
  ASSISTANT: 'assistant',
  System: 'system',
  SYSTEM: 'system',
  function: 'tool',
  observation: 'tool',
};

export type Message = Record<string, unknown>;

export interface MessageList {
  path: JsonPath;
  messages: unknown[];
  /** What the list is: a whole conversation, a prompt (ends before the answer) or an answer. */
  kind: 'conversation' | 'prompt' | 'answer';
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

let lastRecord: unknown;
let lastFormat = '';
let lastLists: MessageList[] = [];

/**
 * The chat message lists of a record, by format (conversational TRL formats included). Every rule
 * asks for them, one after another on the same record: the last answer is reused.
 */
export function messageLists(record: Record<string, unknown>, format: string): MessageList[] {
  if (record === lastRecord && format === lastFormat) return lastLists;
  lastRecord = record;
  lastFormat = format;
  lastLists = collectLists(record, format);
  return lastLists;
}

function collectLists(record: Record<string, unknown>, format: string): MessageList[] {
  const out: MessageList[] = [];
  const add = (path: JsonPath, v: unknown, kind: MessageList['kind']) => {
    if (Array.isArray(v)) out.push({ path, messages: v, kind });
  };
  switch (format) {
    case 'openai-chat':
      add(['messages'], record.messages, 'conversation');
      break;
    case 'openai-preference':
      if (isObj(record.input)) add(['input', 'messages'], record.input.messages, 'prompt');
      add(['preferred_output'], record.preferred_output, 'answer');
      add(['non_preferred_output'], record.non_preferred_output, 'answer');
      break;
    case 'trl-prompt-completion':
    case 'kto':
      add(['prompt'], record.prompt, 'prompt');
      add(['completion'], record.completion, 'answer');
      break;
    case 'trl-preference':
      add(['prompt'], record.prompt, 'prompt');
      add(['chosen'], record.chosen, 'answer');
      add(['rejected'], record.rejected, 'answer');
      break;
    case 'trl-preference-implicit':
      add(['chosen'], record.chosen, 'conversation');
      add(['rejected'], record.rejected, 'conversation');
      break;
  }
  return out;
}

/** Text of a message's content: a string, or the text parts of a content array. */
export function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    let s = '';
    for (const p of content) if (isObj(p) && p.type === 'text' && typeof p.text === 'string') s += p.text;
    return s;
  }
  return null;
}

/** True when content has something besides whitespace (text, or an image part). */
export function hasContent(content: unknown): boolean {
  if (typeof content === 'string') return content.trim().length > 0;
  if (Array.isArray(content)) return content.some((p) => isObj(p) && ((p.type === 'text' && typeof p.text === 'string' && p.text.trim() !== '') || p.type === 'image_url'));
  return false;
}

export { isObj };
