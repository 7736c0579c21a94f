/**
 * zod schemas of one record of every dataset format we support, keyed by the names in formats.ts.
 * The JSON Schemas in schemas/ are generated from these (scripts/schemas.ts); edit here, then run
 * `npx tsx scripts/schemas.ts`.
 *
 * Objects are strict: an unknown key is an error, because a misspelt key (`"contents"`, `"tool_call"`)
 * is silently dropped by trainers and is the commonest dataset bug we can catch without a tokenizer.
 */
import { z } from 'zod';
import type { FormatName } from './formats';

// ---------------------------------------------------------------------------------------------
// OpenAI fine-tuning (chat SFT and DPO), after the API's FineTuneChatRequestInput and
// FineTunePreferenceRequestInput. Audio and file parts are left out: fine-tuning rejects them.

/** OpenAI's function-name rule: letters, digits, underscores and dashes, at most 64. */
const functionName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'Function names are 1 to 64 letters, digits, underscores or dashes');

/** A JSON Schema object (not checked further: any object is accepted). */
const jsonSchemaObject = z.record(z.string(), z.unknown()).describe('A JSON Schema object');

/** A text content part. */
export const openaiTextPart = z
  .strictObject({
    type: z.literal('text'),
    text: z.string(),
  })
  .meta({ id: 'OpenAITextPart', title: 'Text part' });

/** An image content part (user messages only). */
export const openaiImagePart = z
  .strictObject({
    type: z.literal('image_url'),
    image_url: z.strictObject({
      url: z.string().describe('An https URL or a data: URL of the image'),
      detail: z.enum(['auto', 'low', 'high']).optional(),
    }),
  })
  .meta({ id: 'OpenAIImagePart', title: 'Image part' });

/** A refusal content part (assistant messages only). */
export const openaiRefusalPart = z
  .strictObject({
    type: z.literal('refusal'),
    refusal: z.string(),
  })
  .meta({ id: 'OpenAIRefusalPart', title: 'Refusal part' });

const textContent = z.union([z.string(), z.array(openaiTextPart).min(1)]);
const userContent = z.union([z.string(), z.array(z.discriminatedUnion('type', [openaiTextPart, openaiImagePart])).min(1)]);
const assistantContent = z.union([z.string(), z.array(z.discriminatedUnion('type', [openaiTextPart, openaiRefusalPart])).min(1), z.null()]);

/** A call of one tool in an assistant message. */
export const openaiToolCall = z
  .strictObject({
    id: z.string().describe('Referenced by the tool message that answers this call'),
    type: z.literal('function'),
    function: z.strictObject({
      name: functionName,
      arguments: z.string().describe('The arguments as a JSON-encoded string (not an object)'),
    }),
  })
  .meta({ id: 'OpenAIToolCall', title: 'Tool call' });

/** Deprecated (replaced by tool_calls); still accepted by fine-tuning. */
const functionCall = z
  .strictObject({
    name: functionName,
    arguments: z.string(),
  })
  .describe('Deprecated: use tool_calls');

const name = z.string().optional().describe('Optional participant name');

export const openaiSystemMessage = z
  .strictObject({
    role: z.literal('system'),
    content: textContent,
    name,
  })
  .meta({ id: 'OpenAISystemMessage', title: 'System message' });

export const openaiDeveloperMessage = z
  .strictObject({
    role: z.literal('developer'),
    content: textContent,
    name,
  })
  .meta({ id: 'OpenAIDeveloperMessage', title: 'Developer message' });

export const openaiUserMessage = z
  .strictObject({
    role: z.literal('user'),
    content: userContent,
    name,
  })
  .meta({ id: 'OpenAIUserMessage', title: 'User message' });

const assistantShape = {
  role: z.literal('assistant'),
  content: assistantContent.optional().describe('Null or absent only when the message has tool_calls or function_call'),
  refusal: z.string().nullable().optional(),
  name,
  tool_calls: z.array(openaiToolCall).min(1).optional(),
  function_call: functionCall.optional(),
};

function requireContentOrCall(m: { content?: unknown; tool_calls?: unknown; function_call?: unknown }, ctx: z.RefinementCtx): void {
  if (m.content == null && m.tool_calls === undefined && m.function_call === undefined) {
    ctx.addIssue({ code: 'custom', path: ['content'], message: 'An assistant message needs content unless it has tool_calls' });
  }
}

/** An assistant message in a chat SFT record; `weight: 0` excludes it from the loss. */
export const openaiAssistantMessage = z
  .strictObject({
    ...assistantShape,
    weight: z.literal([0, 1]).optional().describe('0: not trained on; 1 (default): trained on'),
  })
  .superRefine(requireContentOrCall)
  .meta({ id: 'OpenAIAssistantMessage', title: 'Assistant message' });

/** An assistant message as a preference output (no `weight`). */
export const openaiOutputMessage = z.strictObject(assistantShape).superRefine(requireContentOrCall).meta({ id: 'OpenAIOutputMessage', title: 'Assistant message (output)' });

export const openaiToolMessage = z
  .strictObject({
    role: z.literal('tool'),
    tool_call_id: z.string().describe('The id of the tool call this message answers'),
    content: textContent,
  })
  .meta({ id: 'OpenAIToolMessage', title: 'Tool message' });

/** Deprecated (replaced by tool messages); still accepted by fine-tuning. */
export const openaiFunctionMessage = z
  .strictObject({
    role: z.literal('function'),
    name: z.string(),
    content: z.string().nullable(),
  })
  .meta({ id: 'OpenAIFunctionMessage', title: 'Function message (deprecated)' });

/** One message of an OpenAI chat record, discriminated by `role`. */
export const openaiMessage = z
  .discriminatedUnion('role', [openaiSystemMessage, openaiDeveloperMessage, openaiUserMessage, openaiAssistantMessage, openaiToolMessage, openaiFunctionMessage])
  .meta({ id: 'OpenAIMessage', title: 'Message' });

/** A tool the model may call, declared once per record. */
export const openaiTool = z
  .strictObject({
    type: z.literal('function'),
    function: z.strictObject({
      name: functionName,
      description: z.string().optional(),
      parameters: jsonSchemaObject.optional().describe('JSON Schema of the arguments object'),
      strict: z.boolean().nullable().optional(),
    }),
  })
  .meta({ id: 'OpenAITool', title: 'Tool' });

const deprecatedFunctions = z
  .array(
    z.strictObject({
      name: functionName,
      description: z.string().optional(),
      parameters: jsonSchemaObject.optional(),
    }),
  )
  .optional()
  .describe('Deprecated: use tools');

/**
 * OpenAI chat fine-tuning (SFT) record: one conversation, optionally with the tools the model may
 * call.
 */
export const openaiChat = z
  .strictObject({
    messages: z.array(openaiMessage).min(1),
    tools: z.array(openaiTool).optional(),
    parallel_tool_calls: z.boolean().optional(),
    functions: deprecatedFunctions,
  })
  .meta({ title: 'OpenAI chat fine-tuning record', description: 'One line of an OpenAI supervised fine-tuning JSONL file.' });

/**
 * OpenAI preference fine-tuning (DPO) record: a conversation and one preferred and one
 * non-preferred assistant reply.
 */
export const openaiPreference = z
  .strictObject({
    input: z.strictObject({
      messages: z.array(openaiMessage).min(1),
      tools: z.array(openaiTool).optional(),
      parallel_tool_calls: z.boolean().optional(),
    }),
    preferred_output: z.array(openaiOutputMessage).min(1).max(1),
    non_preferred_output: z.array(openaiOutputMessage).min(1).max(1),
  })
  .meta({ title: 'OpenAI preference fine-tuning record', description: 'One line of an OpenAI DPO fine-tuning JSONL file.' });

// ---------------------------------------------------------------------------------------------
// TRL (Hugging Face). Conversational messages go through the model's chat template, which reads a
// few more keys than OpenAI's (tool-call arguments as an object, `thinking`, `reasoning_content`).

/** A tool call as chat templates take it: `arguments` may be an object, `id` and `type` optional. */
export const trlToolCall = z
  .strictObject({
    id: z.string().optional(),
    type: z.literal('function').optional(),
    function: z.strictObject({
      name: z.string(),
      arguments: z.union([z.string(), z.record(z.string(), z.unknown())]),
    }),
  })
  .meta({ id: 'TRLToolCall', title: 'Tool call (chat template)' });

/** A content part for multimodal chat templates: `{type: "text", text}`, `{type: "image"}`, … */
const trlPart = z.looseObject({ type: z.string() });

/** One message of a TRL conversational record. */
export const trlMessage = z
  .strictObject({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
    content: z.union([z.string(), z.array(trlPart), z.null()]).optional(),
    name: z.string().optional(),
    tool_calls: z.array(trlToolCall).optional(),
    tool_call_id: z.string().optional(),
    thinking: z.string().optional(),
    reasoning_content: z.string().optional(),
  })
  .superRefine((m, ctx) => {
    if (m.content == null && m.tool_calls === undefined) ctx.addIssue({ code: 'custom', path: ['content'], message: 'A message needs content unless it has tool_calls' });
  })
  .meta({ id: 'TRLMessage', title: 'Message (chat template)' });

const trlMessages = z.array(trlMessage).min(1);

/** Extra columns TRL reads next to conversational data. */
const trlConversationalExtras = {
  tools: z.array(z.record(z.string(), z.unknown())).optional().describe('Tool JSON Schemas for the chat template'),
  images: z.array(z.unknown()).optional().describe('Images referenced by `{"type": "image"}` content parts'),
};

/** TRL language-modeling record, standard format. */
export const trlText = z
  .strictObject({ text: z.string() })
  .meta({ title: 'TRL text record', description: 'Language modeling, standard format: {"text": ...}.' });

/** TRL prompt-completion record, standard (strings) or conversational (message lists). */
export const trlPromptCompletion = z
  .union([
    z.strictObject({ prompt: z.string(), completion: z.string() }),
    z.strictObject({ prompt: trlMessages, completion: trlMessages, ...trlConversationalExtras }),
  ])
  .meta({ title: 'TRL prompt-completion record', description: 'Standard {"prompt": str, "completion": str} or conversational (lists of messages).' });

/** TRL preference record with an explicit prompt, standard or conversational. */
export const trlPreference = z
  .union([
    z.strictObject({ prompt: z.string(), chosen: z.string(), rejected: z.string() }),
    z.strictObject({ prompt: trlMessages, chosen: trlMessages, rejected: trlMessages, ...trlConversationalExtras }),
  ])
  .meta({ title: 'TRL preference record', description: 'Explicit prompt: {"prompt", "chosen", "rejected"}, strings or lists of messages.' });

/** TRL preference record with the prompt inside both answers, standard or conversational. */
export const trlPreferenceImplicit = z
  .union([
    z.strictObject({ chosen: z.string(), rejected: z.string() }),
    z.strictObject({ chosen: trlMessages, rejected: trlMessages, ...trlConversationalExtras }),
  ])
  .meta({ title: 'TRL preference record (implicit prompt)', description: '{"chosen", "rejected"}, each holding the whole sequence, prompt included.' });

/** TRL unpaired preference (KTO) record: one completion and whether it is desirable. */
export const kto = z
  .union([
    z.strictObject({ prompt: z.string(), completion: z.string(), label: z.boolean() }),
    z.strictObject({ prompt: trlMessages, completion: trlMessages, label: z.boolean(), ...trlConversationalExtras }),
  ])
  .meta({ title: 'KTO record (unpaired preference)', description: '{"prompt", "completion", "label": true|false}, strings or lists of messages.' });

/** TRL stepwise-supervision record: a prompt, the steps of a solution and whether each is correct. */
export const trlStepwise = z
  .strictObject({
    prompt: z.string(),
    completions: z.array(z.string()).min(1),
    labels: z.array(z.boolean()).min(1),
  })
  .superRefine((r, ctx) => {
    if (r.labels.length !== r.completions.length) {
      ctx.addIssue({ code: 'custom', path: ['labels'], message: `labels has ${r.labels.length} items but completions has ${r.completions.length}: one label per step` });
    }
  })
  .meta({ title: 'TRL stepwise supervision record', description: '{"prompt", "completions": [step...], "labels": [bool per step]}.' });

// ---------------------------------------------------------------------------------------------
// ShareGPT and Alpaca, as LLaMA-Factory reads them.

/** ShareGPT record: a conversation of `{from, value}` turns. */
export const sharegpt = z
  .strictObject({
    conversations: z
      .array(
        z.strictObject({
          from: z.enum(['human', 'gpt', 'system', 'tool', 'function_call', 'observation']),
          value: z.string(),
        }),
      )
      .min(1),
    system: z.string().optional(),
    tools: z.string().optional().describe('Tool declarations as a JSON-encoded string'),
  })
  .meta({ title: 'ShareGPT record', description: '{"conversations": [{"from", "value"}...], "system"?, "tools"?}.' });

/** Alpaca record: an instruction, optional input, the expected output and optional earlier turns. */
export const alpaca = z
  .strictObject({
    instruction: z.string(),
    input: z.string().optional(),
    output: z.string(),
    system: z.string().optional(),
    history: z.array(z.tuple([z.string(), z.string()])).optional().describe('Earlier turns as [instruction, response] pairs'),
  })
  .meta({ title: 'Alpaca record', description: '{"instruction", "input"?, "output", "system"?, "history"?}.' });

/** Any JSON object: records whose format is not recognised are not checked further. */
export const unknownRecord = z.looseObject({}).meta({ title: 'Record of unknown format' });

/** The record schema of each format. */
export const formatSchemas: Record<FormatName, z.ZodType> = {
  unknown: unknownRecord,
  'openai-chat': openaiChat,
  'openai-preference': openaiPreference,
  'trl-text': trlText,
  'trl-prompt-completion': trlPromptCompletion,
  'trl-preference': trlPreference,
  'trl-preference-implicit': trlPreferenceImplicit,
  kto,
  'trl-stepwise': trlStepwise,
  sharegpt,
  alpaca,
};

export type OpenAIChatRecord = z.infer<typeof openaiChat>;
export type OpenAIPreferenceRecord = z.infer<typeof openaiPreference>;
export type OpenAIMessage = z.infer<typeof openaiMessage>;

// ---------------------------------------------------------------------------------------------
// Validation with plain, position-free problems (the caller maps paths to ranges).

/** One schema problem in a record. */
export interface RecordProblem {
  /**
   * Where: object keys and array indexes from the record root. For `unrecognized_keys` and
   * `invalid_key` the last element is the offending key itself (point at the key, not its value).
   */
  path: (string | number)[];
  /** zod's issue code: `invalid_type`, `unrecognized_keys`, `invalid_value`, `too_small`, `custom`, … */
  code: string;
  message: string;
}

type Issue = z.core.$ZodIssue;

/** The problems of `value` as a record of `format`; empty when it is valid. */
export function validateRecord(format: FormatName, value: unknown): RecordProblem[] {
  const r = formatSchemas[format].safeParse(value);
  return r.success ? [] : issueProblems(r.error.issues, value);
}

/**
 * zod issues of `value` as plain problems: one per unknown key (at the key), missing keys named,
 * and a failed union reported through the branch that came closest instead of as "Invalid input".
 */
export function issueProblems(issues: readonly z.core.$ZodIssue[], value: unknown): RecordProblem[] {
  const out: RecordProblem[] = [];
  for (const issue of issues) pushIssue(out, issue, [], value);
  return out;
}

function pushIssue(out: RecordProblem[], issue: Issue, base: (string | number)[], root: unknown): void {
  const path = base.length ? [...base, ...(issue.path as (string | number)[])] : (issue.path as (string | number)[]);
  switch (issue.code) {
    case 'unrecognized_keys':
      for (const k of issue.keys) out.push({ path: [...path, k], code: issue.code, message: `Unknown key "${k}"` });
      return;
    case 'invalid_union': {
      if (issue.discriminator !== undefined) {
        const missing = isMissing(root, path);
        const key = String(path[path.length - 1]);
        const options = ('options' in issue ? (issue.options ?? []) : []).map((o) => JSON.stringify(o)).join(', ');
        out.push({
          path,
          code: missing ? 'invalid_type' : 'invalid_value',
          message: missing ? `Missing required key "${key}"` : `Invalid ${key} ${JSON.stringify(valueAt(root, path))}: expected one of ${options}`,
        });
        return;
      }
      const branch = bestBranch(issue.errors);
      if (branch) {
        for (const i of branch) pushIssue(out, i, path, root);
        return;
      }
      // Every branch failed on the type of the value itself: say which types would do.
      const expected = [...new Set(issue.errors.flatMap((b) => b.map((i) => (i.code === 'invalid_type' ? i.expected : i.code === 'invalid_value' ? i.values.map((v) => JSON.stringify(v)).join(' or ') : ''))))].filter(Boolean);
      out.push(isMissing(root, path) ? missingKey(path) : { path, code: 'invalid_type', message: `Invalid input: expected ${expected.join(' or ')}, received ${typeName(valueAt(root, path))}` });
      return;
    }
    case 'invalid_key': {
      const k = path[path.length - 1];
      out.push({ path, code: issue.code, message: `Invalid key "${String(k)}": ${issue.issues[0]?.message ?? issue.message}` });
      return;
    }
    case 'invalid_type':
    case 'invalid_value':
      out.push(isMissing(root, path) ? missingKey(path) : { path, code: issue.code, message: issue.message });
      return;
    default:
      out.push({ path, code: issue.code, message: issue.message });
  }
}

/**
 * The union branch to report: among branches that got past the type of the value itself (their
 * problems are inside it), the one with the fewest problems. Undefined when none did.
 */
function bestBranch(branches: Issue[][]): Issue[] | undefined {
  let best: Issue[] | undefined;
  for (const b of branches) {
    if (b.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value'))) continue;
    if (!best || b.length < best.length) best = b;
  }
  return best;
}

function missingKey(path: (string | number)[]): RecordProblem {
  return { path, code: 'invalid_type', message: `Missing required key "${String(path[path.length - 1])}"` };
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let v = root;
  for (const k of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/** True when the last key of `path` is absent from an object that exists. */
function isMissing(root: unknown, path: readonly (string | number)[]): boolean {
  if (path.length === 0) return false;
  const parent = valueAt(root, path.slice(0, -1));
  return typeof parent === 'object' && parent !== null && !Array.isArray(parent) && !Object.prototype.hasOwnProperty.call(parent, path[path.length - 1]);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
