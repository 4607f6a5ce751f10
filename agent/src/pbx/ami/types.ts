/**
 * The AMI client's public shape. Other modules (state, commands, freepbx) code against this interface;
 * the implementation lives in client.ts.
 */

/** One AMI message as received. Header names are lower-cased (AMI matches them case-insensitively and
 * dialects differ only in case: `UniqueID` on 1.8/11 vs `Uniqueid` on 12+); the first occurrence wins,
 * repeated headers (ChanVariable, Output) are also kept in order in `repeated`. */
export interface AmiMessage {
  readonly kind: 'event' | 'response';
  /** The value of `Event:` or `Response:` as sent (e.g. `PeerStatus`, `Success`, `Follows`). */
  readonly name: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Headers that appeared more than once, in order (lower-cased name → values). */
  readonly repeated?: Readonly<Record<string, readonly string[]>>;
  /** For a `Command` reply: the CLI output lines (1.8–13 `Follows` body or 14+ `Output:` lines). */
  readonly output?: readonly string[];
}

/** What the client learned about the Asterisk it talks to. */
export interface AmiDialect {
  /** Banner version, e.g. `1.3`, `2.10.6`, `5.0.5`. */
  readonly amiVersion: string;
  /** From CoreSettings AsteriskVersion, e.g. `11.25.3`. */
  readonly asteriskVersion: string;
  /** Major Asterisk version: 1 (for 1.8), 11, 13, 16 … (1.8 reported as 1). */
  readonly major: number;
  /** `follows` for 1.8–13, `output` for 14+ (reference §2, §14 trap 1). */
  readonly commandFormat: 'follows' | 'output';
  /** Whether chan_sip answers SIPpeers; false on PJSIP-only boxes (reference §16). */
  readonly chanSip: boolean;
  /** Whether chan_pjsip answers PJSIPShowEndpoints. */
  readonly pjsip: boolean;
}

export type AmiConnectionState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface ActionOptions {
  /** Per-action timeout in ms (default 10 s). */
  timeoutMs?: number;
}

/** Result of an event-list action (SIPpeers, CoreShowChannels, DBGet, PJSIPShowEndpoints …). */
export interface AmiListResult {
  readonly response: AmiMessage;
  /** The list events, in order, without the completion event. */
  readonly events: AmiMessage[];
}

export interface AmiClient {
  readonly state: AmiConnectionState;
  readonly dialect: AmiDialect | undefined;
  /** Connects, logs in and keeps reconnecting with backoff until stop(). Returns at once. */
  start(): void;
  stop(): Promise<void>;
  /** Resolves once logged in and the dialect is known; rejects on bad credentials or stop. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Sends one action and resolves with its response (rejects with PbxlinkError `unavailable` when
   * disconnected or timed out). A `Response: Error` resolves too: callers inspect `name`. */
  action(action: string, fields?: Record<string, string>, opts?: ActionOptions): Promise<AmiMessage>;
  /** Sends a list-producing action and collects its events until the completion event. */
  list(action: string, fields?: Record<string, string>, opts?: ActionOptions): Promise<AmiListResult>;
  /** Runs a CLI command via `Action: Command` in either dialect; resolves with the output lines. */
  command(cli: string, opts?: ActionOptions): Promise<string[]>;
  /** Subscribes to events by name (`*` for all but dialplan/RTP noise: VarSet, Newexten, RTCP* reach only
   * listeners that name them). Events nobody subscribed to are skipped cheaply. Returns an unsubscribe. */
  onEvent(names: readonly string[] | '*', fn: (msg: AmiMessage) => void): () => void;
  /** Connection transitions. `resynced` fires after every (re)login once the dialect is known: state
   * that depends on AMI must be rebuilt from scratch then. */
  onStatus(fn: (s: { state: AmiConnectionState; resynced?: boolean; reason?: string }) => void): () => void;
}
