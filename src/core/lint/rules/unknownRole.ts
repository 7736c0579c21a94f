import { chatRoles, isObj, messageLists, roleAliases } from '../../dataset/messages';
import type { RecordRule } from '../types';

export const unknownRole: RecordRule = {
  code: 'LD010',
  name: 'unknown-role',
  scope: 'record',
  defaultSeverity: 'error',
  summary: 'A message has a role the format does not know.',
  fix: { title: 'Rename the role', applicability: 'safe' },
  formats: ['openai-chat', 'openai-preference', 'trl-prompt-completion', 'trl-preference', 'trl-preference-implicit', 'kto'],
  doc: {
    what: 'Flags a message whose `role` is not one of system, developer, user, assistant, tool. Known aliases (human, gpt, bot, model, capitalised names) get a fix that renames them.',
    why: 'Chat templates only render known roles: an unknown role raises an error in the template or, worse, is silently dropped, so the model trains on a conversation with a turn missing.',
    example: '{"messages": [{"role": "human", "content": "Hi"}, {"role": "gpt", "content": "Hello!"}]}',
    useInstead: '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}',
  },
  check(record, ctx) {
    for (const list of messageLists(record, ctx.format)) {
      list.messages.forEach((m, i) => {
        if (!isObj(m) || !('role' in m)) return;
        const role = m.role;
        if (typeof role === 'string' && chatRoles.has(role)) return;
        const path = [...list.path, i, 'role'];
        const alias = typeof role === 'string' ? roleAliases[role] ?? (chatRoles.has(role.toLowerCase()) ? role.toLowerCase() : undefined) : undefined;
        ctx.report(
          unknownRole,
          { path },
          `Unknown role ${JSON.stringify(role)}: use one of system, developer, user, assistant, tool${alias ? ` (did you mean "${alias}"?)` : ''}`,
          alias ? { title: `Rename the role to "${alias}"`, applicability: 'safe', edits: [{ target: { path }, newText: JSON.stringify(alias) }] } : undefined,
        );
      });
    }
  },
};
