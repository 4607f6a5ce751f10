/** The agent uses the protocol's single error type and code catalogue (see protocol/src/errors.ts). */
export { ERROR_CODES, ERROR_CODE_TEXT, PbxlinkError, isPbxlinkError } from '../../../protocol/src/errors';
export type { ErrorCode } from '../../../protocol/src/errors';
