/** A raw-socket AMI test client: sends exact bytes, reads exact bytes (no AMI parsing at all). */
import { connect, type Socket } from 'node:net';

/** Raw client over a real localhost socket. */
export class RawClient {
  private buf = '';
  private waiters: Array<() => void> = [];
  closed = false;
  readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(s: string): void {
    this.socket.write(s, 'latin1');
  }

  /** Sends `lines` joined by CRLF plus the ending empty line. */
  action(lines: string[]): void {
    this.send(`${lines.join('\r\n')}\r\n\r\n`);
  }

  /** Waits until the buffer contains `marker` (or the socket closes / timeout), returns and consumes up to it. */
  async readUntil(marker: string, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.buf.indexOf(marker);
      if (i >= 0) {
        const out = this.buf.slice(0, i + marker.length);
        this.buf = this.buf.slice(i + marker.length);
        return out;
      }
      if (this.closed || Date.now() > deadline) {
        throw new Error(`marker ${JSON.stringify(marker)} not received; got ${JSON.stringify(this.buf)}`);
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Reads exactly `n` bytes. */
  async readBytes(n: number, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.closed || Date.now() > deadline)
        throw new Error(`wanted ${n} bytes, got ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    const out = this.buf.slice(0, n);
    this.buf = this.buf.slice(n);
    return out;
  }

  /** Everything received and not yet consumed, after waiting `ms`. */
  async drain(ms = 50): Promise<string> {
    await new Promise((r) => setTimeout(r, ms));
    const out = this.buf;
    this.buf = '';
    return out;
  }

  /** Resolves when the server closed the socket. */
  async waitClosed(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('socket still open');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Converts the reference's notation (`<CRLF>` / `<LF>` line suffixes) into bytes. */
export function fromNotation(text: string): string {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/<CRLF>$/, '\r\n').replace(/<LF>$/, '\n'))
    .join('');
}

/** Logs in with Events: off and consumes the greeting and response. */
export async function login(
  port: number,
  opts: { events?: string; secret?: string } = {},
): Promise<RawClient> {
  const c = await RawClient.open(port);
  await c.readUntil('\r\n');
  c.action([
    'Action: Login',
    'Username: admin',
    `Secret: ${opts.secret ?? 'amp111'}`,
    `Events: ${opts.events ?? 'off'}`,
  ]);
  await c.readUntil('\r\n\r\n');
  if (opts.events !== undefined && opts.events !== 'off') await c.readUntil('Fully Booted\r\n\r\n');
  return c;
}
