import type { Rule } from '../types';
import { binaryFile } from './binaryFile';
import { emptyContent } from './emptyContent';
import { emptyFile } from './emptyFile';
import { emptyMessages } from './emptyMessages';
import { identicalChosenRejected } from './identicalChosenRejected';
import { missingRejected } from './missingRejected';
import { noTrainableTokens } from './noTrainableTokens';
import { mixedFormats } from './mixedFormats';
import { missingMessages } from './missingMessages';
import { unrecognizedFormat } from './unrecognizedFormat';
import { tooFewExamples } from './tooFewExamples';
import { labelImbalance } from './labelImbalance';
import { schemaMismatch } from './schemaMismatch';
import { duplicateRecord } from './duplicateRecord';
import { nearDuplicate } from './nearDuplicate';
import { piiEmail } from './piiEmail';
import { piiPhone } from './piiPhone';
import { piiCreditCard } from './piiCreditCard';
import { secretKey } from './secretKey';
import { orphanToolMessage } from './orphanToolMessage';
import { toolArgumentsDoubleEncoded } from './toolArgumentsDoubleEncoded';
import { toolArgumentsNotJson } from './toolArgumentsNotJson';
import { toolArgumentsNotString } from './toolArgumentsNotString';
import { toolArgumentsSchema } from './toolArgumentsSchema';
import { unansweredToolCall } from './unansweredToolCall';
import { unknownTool } from './unknownTool';
import { trainEvalOverlap } from './trainEvalOverlap';
import { exceedsContext } from './exceedsContext';
import { invalidJson } from './invalidJson';
import { invalidUtf8 } from './invalidUtf8';
import { invalidWeight } from './invalidWeight';
import { missingAssistantMessage } from './missingAssistantMessage';
import { missingContent } from './missingContent';
import { multilineJsonNotJsonl } from './multilineJsonNotJsonl';
import { notAnObject } from './notAnObject';
import { roleOrder } from './roleOrder';
import { unknownKey } from './unknownKey';
import { unknownRole } from './unknownRole';

/** Every rule, in code order. Codes and names are stable: never renumber or rename. */
export const rules: readonly Rule[] = [
  invalidJson,
  multilineJsonNotJsonl,
  binaryFile,
  invalidUtf8,
  emptyFile,
  notAnObject,
  emptyMessages,
  unknownKey,
  unknownRole,
  missingContent,
  missingAssistantMessage,
  roleOrder,
  emptyContent,
  invalidWeight,
  identicalChosenRejected,
  missingRejected,
  noTrainableTokens,
  mixedFormats,
  missingMessages,
  unrecognizedFormat,
  tooFewExamples,
  labelImbalance,
  schemaMismatch,
  exceedsContext,
  trainEvalOverlap,
  orphanToolMessage,
  toolArgumentsDoubleEncoded,
  toolArgumentsNotJson,
  toolArgumentsNotString,
  toolArgumentsSchema,
  unansweredToolCall,
  unknownTool,
  duplicateRecord,
  nearDuplicate,
  piiEmail,
  piiPhone,
  piiCreditCard,
  secretKey,
].sort((a, b) => a.code.localeCompare(b.code));

export function findRule(codeOrName: string): Rule | undefined {
  const key = codeOrName.trim();
  return rules.find((r) => r.code.toLowerCase() === key.toLowerCase() || r.name === key.toLowerCase());
}
