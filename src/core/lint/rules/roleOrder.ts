import { isObj } from '../../dataset/messages';
import type { RecordRule } from '../types';

const known = new Set(['system', 'user', 'assistant', 'tool']);

export const roleOrder: RecordRule = {
  code: 'LD013',
  name: 'role-order',
  scope: 'record',
  defaultSeverity: 'warning',
  summary: 'Messages are in an order chat templates and trainers reject.',
  formats: ['openai-chat', 'sharegpt'],
  doc: {
    what: 'Checks the turn order of a conversation: system/developer messages first, then a user turn; user and assistant alternate (tool results follow the assistant message that called them); the conversation ends with an assistant turn.',
    why: 'Many chat templates (Llama, Mistral, Gemma) raise "Conversation roles must alternate user/assistant" on anything else, and a conversation that ends with a user turn trains the model on a question with no answer.',
    example: '{"messages": [{"role": "assistant", "content": "Hi!"}, {"role": "user", "content": "Add a task"}]}',
    useInstead: '{"messages": [{"role": "user", "content": "Add a task"}, {"role": "assistant", "content": "Sure — what is it called?"}]}',
  },
  check(record, ctx) {
    const sharegpt = ctx.format === 'sharegpt';
    const list = sharegpt ? record.conversations : record.messages;
    if (!Array.isArray(list) || list.length === 0) return;
    const key = sharegpt ? 'conversations' : 'messages';
    const roleKey = sharegpt ? 'from' : 'role';
    const norm = (r: unknown): string =>
      sharegpt ? ({ human: 'user', gpt: 'assistant', system: 'system', function_call: 'assistant', observation: 'tool', tool: 'tool' } as Record<string, string>)[r as string] ?? String(r) : r === 'developer' ? 'system' : String(r);
    const roles = list.map((m) => (isObj(m) ? norm(m[roleKey]) : '?'));
    // Unknown roles and malformed messages are other rules' findings; order is only checked on known ones.
    if (roles.some((r) => !known.has(r))) return;
    let i = 0;
    while (i < roles.length && roles[i] === 'system') i++;
    if (i < roles.length && roles[i] !== 'user') {
      ctx.report(roleOrder, { path: [key, i, roleKey] }, `${i ? 'After the system prompt the' : 'The'} first turn must be the user's, not "${roles[i]}"`);
      return;
    }
    let prev = 'system';
    for (let k = i; k < roles.length; k++) {
      const r = roles[k];
      if (r === 'system') {
        ctx.report(roleOrder, { path: [key, k, roleKey] }, `A system message in the middle of the conversation (turn ${k + 1}); most chat templates only accept it first`);
        return;
      }
      const calls = prev === 'assistant' && callsTools(list[k - 1]);
      const allowed =
        prev === 'system' ? ['user'] : prev === 'user' ? ['assistant'] : prev === 'assistant' ? (calls ? ['tool'] : ['user']) : prev === 'tool' ? ['tool', 'assistant'] : [];
      if (!allowed.includes(r)) {
        const want = allowed.map((a) => `"${a}"`).join(' or ');
        ctx.report(roleOrder, { path: [key, k, roleKey] }, `Turn ${k + 1} is "${r}" right after "${prev}"${calls ? ' with tool calls' : ''}: expected ${want || 'a known role'}`);
        return;
      }
      prev = r;
    }
    if (prev !== 'assistant' || callsTools(list[list.length - 1])) {
      ctx.report(roleOrder, { path: [key, roles.length - 1] }, prev !== 'assistant' ? `The conversation ends with a "${prev}" turn; for fine-tuning it must end with the assistant's answer` : 'The conversation ends with an assistant message that calls tools but never gets their results');
    }
  },
};

/** An assistant turn that calls tools (OpenAI tool_calls, or a ShareGPT function_call turn). */
function callsTools(m: unknown): boolean {
  return isObj(m) && ((Array.isArray(m.tool_calls) && m.tool_calls.length > 0) || m.from === 'function_call');
}
