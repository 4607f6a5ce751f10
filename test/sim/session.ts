/** One AMI connection of the simulator: greeting, login rules (§1.1), dispatch, events mask, logoff (§1.5). */
import { createHash, randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import type { ActionHandler, ActionHooks } from './actions';
import { MASK_ALL, maskAllows, parseEventMask } from './event-mask';
import { applyQuirks, type SimQuirks } from './quirks';
import type { SimState } from './sim-state';
import { type ActionMessage, ActionReader, frame, idField, response } from './wire';

/** What a session needs from its server. */
export interface SessionHost {
  readonly state: SimState;
  readonly actions: Map<string, ActionHandler>;
  readonly hooks: ActionHooks;
  readonly username: string;
  readonly secret: string;
  readonly authFailDelayMs: number;
  /** `authtimeout` (§1.1: unauthenticated sessions are dropped after 30 s by default). */
  readonly authTimeoutMs: number;
  /** `allowmultiplelogin` (default yes); when false a second login of a user gets `Login Already In Use`. */
  readonly allowMultipleLogin: boolean;
  /** Whether another logged-in session uses `user`. */
  userInUse(user: string, self: SimSession): boolean;
  /** Opt-in §15 quirks. */
  readonly quirks?: SimQuirks;
  isStalled(): boolean;
  /** Consumes one injected failure for this action, if any. */
  takeFailure(action: string): { mode: 'error' | 'drop'; message: string } | undefined;
  record(action: string, m: ActionMessage): void;
  /** The FullyBooted event text for a new session (§1.1, §5.7). */
  fullyBooted(): string;
}

/** A connected AMI client. */
export class SimSession {
  authed = false;
  mask = MASK_ALL;
  user = '';
  private readonly socket: Socket;
  private readonly host: SessionHost;
  private readonly reader = new ActionReader();
  private closing = false;
  private challenge: string | undefined;
  private held: ActionMessage[] = [];
  private authTimer: NodeJS.Timeout | undefined;
  private failTimer: NodeJS.Timeout | undefined;

  constructor(socket: Socket, host: SessionHost) {
    this.socket = socket;
    this.host = host;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => this.onData(d));
    socket.on('close', () => {
      clearTimeout(this.authTimer);
      clearTimeout(this.failTimer);
    });
    // authtimeout: an unauthenticated session is closed without a word (§1.1).
    this.authTimer = setTimeout(() => {
      if (!this.authed) this.destroy();
    }, host.authTimeoutMs);
    this.authTimer.unref();
  }

  /** Sends the greeting `Asterisk Call Manager/<v>\r\n` (§0.3), no blank line after it. */
  greet(): void {
    this.write(`Asterisk Call Manager/${this.host.state.profile.amiVersion}\r\n`);
  }

  /** Writes raw bytes unless the socket is gone. */
  write(s: string): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(s, 'latin1');
  }

  /** Sends an already framed event of class `cls` if the session is logged in and its mask allows it. */
  sendEvent(cls: string, text: string): boolean {
    if (!this.authed || this.closing || !maskAllows(this.mask, cls)) return false;
    this.write(text);
    return true;
  }

  /** Processes actions held while the simulator was stalled. */
  resume(): void {
    const held = this.held;
    this.held = [];
    for (const m of held) this.dispatch(m);
  }

  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }

  private onData(d: string): void {
    if (this.closing) return;
    const msgs = this.reader.push(d);
    if (msgs === null) {
      this.destroy();
      return;
    }
    for (const m of msgs) {
      if (this.host.isStalled()) {
        this.held.push(m);
        // Bounded: a client that floods a stalled server is dropped.
        if (this.held.length > 1000) {
          this.destroy();
          return;
        }
      } else this.dispatch(m);
      if (this.closing) return;
    }
  }

  private dispatch(m: ActionMessage): void {
    if (this.closing) return;
    const out = this.answer(m);
    if (out !== undefined) this.write(out);
  }

  /** The reply to one action (undefined when the action wrote or closed by itself). */
  private answer(m: ActionMessage): string | undefined {
    const action = m.action();
    const id = m.actionId();
    this.host.record(action, m);
    // Order of checks in process_message (§1.1): missing Action, then authentication, then lookup.
    if (action === '') return response('Error', id, { message: 'Missing action in request' });
    const lc = action.toLowerCase();
    if (!this.authed && lc !== 'login' && lc !== 'logoff' && lc !== 'challenge') {
      return response('Error', id, { message: 'Permission denied' });
    }
    const fail = this.host.takeFailure(lc);
    if (fail?.mode === 'drop') {
      this.destroy();
      return undefined;
    }
    if (fail) return response('Error', id, { message: fail.message });
    if (lc === 'login') return this.login(m);
    if (lc === 'logoff') {
      this.write(response('Goodbye', id, { message: 'Thanks for all the fish.' }));
      this.closing = true;
      this.socket.end();
      return undefined;
    }
    if (lc === 'challenge') return this.onChallenge(m);
    if (lc === 'events') return this.onEvents(m);
    const h = this.host.actions.get(lc);
    if (!h) {
      const message = `Invalid/unknown command: ${action}. Use Action: ListCommands to show available commands.`;
      return response('Error', id, { message });
    }
    return applyQuirks(h(this.host.state, m, this.host.hooks), lc, this.host.quirks);
  }

  /** Login (§1.1): plain or MD5 (`AuthType: MD5`, `Key: md5(challenge + secret)`). */
  private login(m: ActionMessage): string | undefined {
    const id = m.actionId();
    if (this.authed) return response('Success', id, { message: 'Already authenticated' });
    const user = m.get('Username') ?? '';
    if (!this.host.allowMultipleLogin && this.host.userInUse(user, this)) {
      // allowmultiplelogin=no: sleep, `Login Already In Use`, close (§1.1).
      return this.failLater(id, 'Login Already In Use');
    }
    let good = user === this.host.username;
    if ((m.get('AuthType') ?? '').toLowerCase() === 'md5') {
      const want = createHash('md5')
        .update(`${this.challenge ?? ''}${this.host.secret}`)
        .digest('hex');
      good = good && this.challenge !== undefined && (m.get('Key') ?? '').toLowerCase() === want;
    } else {
      good = good && (m.get('Secret') ?? '') === this.host.secret;
    }
    // Failure: sleep (1 s by default), answer Error, close the socket (§1.1).
    if (!good) return this.failLater(id, 'Authentication failed');
    const ev = m.get('Events');
    this.mask = ev === undefined ? MASK_ALL : (parseEventMask(ev) ?? 0);
    this.authed = true;
    this.user = user;
    clearTimeout(this.authTimer);
    const ok = response('Success', id, { message: 'Authentication accepted' });
    return maskAllows(this.mask, 'system') ? ok + this.host.fullyBooted() : ok;
  }

  /** Waits the auth-failure delay, answers Error with `message`, closes; nothing else is read meanwhile. */
  private failLater(id: string | undefined, message: string): undefined {
    this.closing = true;
    this.failTimer = setTimeout(() => {
      this.write(response('Error', id, { message }));
      this.socket.end();
    }, this.host.authFailDelayMs);
    return undefined;
  }

  /** Challenge (`AuthType: MD5`): Response, ActionID, `Challenge: <n>` (§1.1). */
  private onChallenge(m: ActionMessage): string {
    const id = m.actionId();
    if ((m.get('AuthType') ?? '').toLowerCase() !== 'md5') {
      return response('Error', id, { message: 'Must specify AuthType' });
    }
    this.challenge ??= String(randomInt(100_000_000, 999_999_999));
    return frame([['Response', 'Success'], ...idField(id), ['Challenge', this.challenge]]);
  }

  /** Action Events with `EventMask:` (§1.2): `Events: On|Off`, no Message; invalid ⇒ Error. */
  private onEvents(m: ActionMessage): string {
    const id = m.actionId();
    const mask = parseEventMask(m.get('EventMask') ?? '');
    if (mask === null) return response('Error', id, { message: 'Invalid event mask' });
    this.mask = mask;
    return frame([['Response', 'Success'], ...idField(id), ['Events', mask === 0 ? 'Off' : 'On']]);
  }
}
