/** The agent uses the protocol's single error type and code catalogue (see protocol/src/errors.ts). */

export type { ErrorCode } from '../../../protocol/src/errors';
export { ERROR_CODE_TEXT, ERROR_CODES, isPbxlinkError, PbxlinkError } from '../../../protocol/src/errors';
