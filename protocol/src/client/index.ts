/** The consumer-side API of pbxlink: connect, send signed commands, follow replies and what agents publish. */

export {
  type CdrQueryArgs,
  type CdrQueryEvent,
  type CdrRowObject,
  type CdrWalkOptions,
  decodeCdrPart,
  MAX_CDR_PART_INFLATED,
  queryCdr,
} from './cdr';
export { type ClientOptions, PbxlinkClient } from './client';
export { BROKER_SCHEMES, type BrokerOptions, connectBroker, mqttOptions, parseBrokerUrl } from './connect';
export {
  CommandFailedError,
  formatSeconds,
  isFinalReply,
  isReplyTimeout,
  type OkReply,
  ReplyTimeoutError,
} from './replies';
export {
  type CommandReplies,
  DEFAULT_REPLY_TIMEOUT_MS,
  MAX_COMMAND_LIFETIME_S,
  type SendOptions,
  sendCommand,
} from './send';
export { type InboundMessage, MessageSubscription } from './subscription';
export {
  TAIL_WHATS,
  type TailMessage,
  type TailSubscription,
  type TailWhat,
  tail,
  tailFilters,
} from './tail';
export { downloadRecording } from './transfer';
