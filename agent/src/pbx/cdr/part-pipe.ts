/**
 * The data channel of the CDR query worker: the bytes of each part go from the worker to the agent through a
 * pipe of their own, read by the agent into a few buffers it reuses; the IPC channel carries only the small
 * messages (worker-protocol.ts).
 *
 * Why not the parts over IPC: Node reads a pipe or the IPC channel into a new buffer for every read, and joins
 * them into another one per message. A bulk export brings hundreds of MB through the agent, and each fresh
 * buffer counts towards V8's heap limits: the daemon (which runs with --optimize-for-size to stay small) then
 * ran a full GC of its whole heap every few MB — about a third of its CPU time in bench cdr-query. Read with
 * net.Socket's `onread` into one reused buffer and copied into reused part buffers, the parts cost no GC at all.
 *
 * The pipe is a FIFO made in a private temporary folder, both ends opened by the agent, its name and folder
 * removed at once (nothing stays on disk); the worker inherits the writing end as fd 4. No socket listens.
 *
 * Frames: a 12-byte header — run id, part number, JSON length (uint32, little-endian) — then the JSON.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmdirSync, unlinkSync } from 'node:fs';
import { type OnReadOpts, Socket, type SocketConstructorOpts } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FRAME_HEADER_BYTES = 12;

/** No part is this big (parts stay within the broker's packet limit, 256 MB at most by MQTT's own). */
const MAX_PART_BYTES = 256 * 1024 * 1024;

/** The worker's fd for the writing end: index 4 of its stdio (after stdin, stdout, stderr and the IPC channel). */
export const PART_PIPE_FD = 4;

/** The two ends of a new part pipe, as fds of this process: `read` for the agent, `write` for the worker. */
export interface PartPipeFds {
  read: number;
  write: number;
}

/** Makes a FIFO in a new folder under `parent`, opens both ends (non-blocking), removes its name and folder.
 * Rejects when the system has no mkfifo or `parent` is not a writable folder. */
export async function openPartPipe(parent: string = tmpdir()): Promise<PartPipeFds> {
  const dir = mkdtempSync(join(parent, 'pbxlink-cdr-'));
  const path = join(dir, 'parts');
  try {
    await new Promise<void>((resolve, reject) =>
      execFile('mkfifo', ['-m', '600', '--', path], (err) => (err ? reject(err) : resolve())),
    );
    // the reading end first: a non-blocking open for writing fails while no reader has the FIFO open
    const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      return { read, write: openSync(path, constants.O_WRONLY | constants.O_NONBLOCK) };
    } catch (e) {
      closeSync(read);
      throw e;
    }
  } finally {
    try {
      unlinkSync(path);
    } catch {}
    rmdirSync(dir);
  }
}

/** A part as read from the pipe: the JSON lies at buffer[before, before + length), with room around it. */
export interface PipedPart {
  run: number;
  n: number;
  buffer: Buffer;
  before: number;
  length: number;
}

/**
 * Reads frames from the reading end into part buffers of its own (room before and after each part's JSON, for
 * the reply envelope to be written in place). A buffer is handed to `onPart` and comes back with `release` once
 * its part is published; at most as many exist as parts were in flight at once.
 */
export class PartPipeReader {
  private readonly socket: Socket;
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerBytes = 0;
  private part: PipedPart | undefined;
  private got = 0;
  private readonly spare: Buffer[] = [];

  constructor(
    fd: number,
    private readonly room: { before: number; after: number },
    private readonly onPart: (part: PipedPart) => void,
  ) {
    // `onread` is an option of the constructor since Node 15.8 (its types still list it for connect() only)
    const opts: SocketConstructorOpts & { onread: OnReadOpts } = {
      fd,
      readable: true,
      writable: false,
      onread: { buffer: Buffer.allocUnsafe(64 * 1024), callback: (n, buf) => this.read(buf, n) },
    };
    this.socket = new Socket(opts);
    this.socket.on('error', () => {}); // the worker's exit is reported through its process
  }

  /** Gives a part's buffer back for the next parts. */
  release(buffer: Buffer): void {
    if (this.spare.length < 16) this.spare.push(buffer);
  }

  close(): void {
    this.socket.destroy();
  }

  private read(buf: Uint8Array, n: number): boolean {
    let i = 0;
    while (i < n) {
      let part = this.part;
      if (!part) {
        const k = Math.min(FRAME_HEADER_BYTES - this.headerBytes, n - i);
        this.header.set(buf.subarray(i, i + k), this.headerBytes);
        this.headerBytes += k;
        i += k;
        if (this.headerBytes < FRAME_HEADER_BYTES) break;
        this.headerBytes = 0;
        const length = this.header.readUInt32LE(8);
        if (length > MAX_PART_BYTES) {
          this.socket.destroy(); // not a frame of ours: the worker's exit or the query's timeout ends the query
          return false;
        }
        part = {
          run: this.header.readUInt32LE(0),
          n: this.header.readUInt32LE(4),
          buffer: this.bufferFor(length),
          before: this.room.before,
          length,
        };
        this.part = part;
        this.got = 0;
      }
      const k = Math.min(part.length - this.got, n - i);
      part.buffer.set(buf.subarray(i, i + k), part.before + this.got);
      this.got += k;
      i += k;
      if (this.got === part.length) {
        this.part = undefined;
        this.onPart(part);
      }
    }
    return true;
  }

  private bufferFor(length: number): Buffer {
    const size = this.room.before + length + this.room.after;
    for (let k = this.spare.length - 1; k >= 0; k--) {
      const b = this.spare[k] as Buffer;
      if (b.length >= size) {
        this.spare.splice(k, 1);
        return b;
      }
    }
    return Buffer.allocUnsafe(Math.max(size, 128 * 1024));
  }
}

/** The worker's end: writes each part as a frame. The JSON's memory must stay as it is until the part is
 * acknowledged (it is: the part writer reuses a buffer only then, and the agent acknowledges after reading it). */
export class PartPipeWriter {
  private readonly socket: Socket;

  constructor(fd: number = PART_PIPE_FD) {
    this.socket = new Socket({ fd, readable: false, writable: true });
    this.socket.on('error', () => {}); // the agent went away: the IPC channel's disconnect ends the worker
  }

  write(run: number, n: number, json: Uint8Array): void {
    const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    h.writeUInt32LE(run, 0);
    h.writeUInt32LE(n, 4);
    h.writeUInt32LE(json.length, 8);
    this.socket.cork();
    this.socket.write(h);
    this.socket.write(json);
    this.socket.uncork();
  }
}
