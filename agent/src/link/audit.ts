/**
 * The command audit log (issue 5 part 1): one record per command or refused message — key id, command, args with
 * secrets masked, outcome, duration — appended to `audit/audit-NNNNNN.jsonl` in the state dir and published as an
 * `audit` event. Each record carries the sha256 of the one before (`prev_hash`) and its own (`hash`), so an edited
 * or deleted record breaks the chain (verifyAuditLog). Files rotate by size; the chain continues across files.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../core/clock';
import type { ErrorCode } from '../core/errors';
import type { Logger } from '../core/log';
import type { Publisher } from '../core/module';
import { maskArgs } from './audit-mask';

export { maskArgs } from './audit-mask';

/** `prev_hash` of the very first record. */
export const GENESIS_HASH = '0'.repeat(64);
/** Default size at which a file is rotated. */
export const DEFAULT_AUDIT_FILE_BYTES = 8 * 1024 * 1024;
/** Default number of audit files kept. */
export const DEFAULT_AUDIT_FILES = 10;

/** One audit record (protocol AuditEvent). */
export interface AuditRecord {
  at: string;
  kid: string | null;
  cmd: string | null;
  jti: string | null;
  args: unknown;
  outcome: 'ok' | 'refused' | ErrorCode;
  message?: string;
  duration_ms: number;
  prev_hash: string;
  hash: string;
}

/** What the caller gives for one record; the log fills in time, masking and the chain. */
export type AuditInput = Omit<AuditRecord, 'at' | 'prev_hash' | 'hash'>;

/** Options of the audit log. */
export interface AuditLogOptions {
  /** The directory of the audit files (`<state dir>/audit`). */
  dir: string;
  clock: Clock;
  log: Logger;
  /** Where `audit` events go (absent: file only). */
  publisher?: Pick<Publisher, 'publishEvent'>;
  maxFileBytes?: number;
  maxFiles?: number;
}

const FILE_RE = /^audit-(\d{6})\.jsonl$/;
const fileName = (n: number) => `audit-${String(n).padStart(6, '0')}.jsonl`;

/** The sha256 (hex) of a record's fields in their fixed order, without `hash`. */
export function auditHash(r: Omit<AuditRecord, 'hash'>): string {
  const body = {
    at: r.at,
    kid: r.kid,
    cmd: r.cmd,
    jti: r.jti,
    args: r.args,
    outcome: r.outcome,
    ...(r.message === undefined ? {} : { message: r.message }),
    duration_ms: r.duration_ms,
    prev_hash: r.prev_hash,
  };
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/** The audit files of `dir`, oldest first, with their numbers. */
export function auditFiles(dir: string): { n: number; path: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => ({ m: FILE_RE.exec(f), f }))
    .filter((x): x is { m: RegExpExecArray; f: string } => x.m !== null)
    .map((x) => ({ n: Number(x.m[1]), path: join(dir, x.f) }))
    .sort((a, b) => a.n - b.n);
}

/** The last complete line of a file (reads its tail only). */
function lastLine(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    return lines[lines.length - 1];
  } finally {
    closeSync(fd);
  }
}

/** Appends hash-chained audit records and publishes each as an `audit` event. */
export class AuditLog {
  private fd: number | undefined;
  private fileNo = 0;
  private fileBytes = 0;
  private prev = GENESIS_HASH;
  private readonly maxFileBytes: number;
  private readonly maxFiles: number;

  constructor(private readonly opts: AuditLogOptions) {
    this.maxFileBytes = opts.maxFileBytes ?? DEFAULT_AUDIT_FILE_BYTES;
    this.maxFiles = opts.maxFiles ?? DEFAULT_AUDIT_FILES;
  }

  /** Opens the newest file and continues its chain (a new log starts from GENESIS_HASH). */
  open(): void {
    if (this.fd !== undefined) return;
    mkdirSync(this.opts.dir, { recursive: true, mode: 0o700 });
    const files = auditFiles(this.opts.dir);
    const last = files[files.length - 1];
    this.fileNo = last?.n ?? 1;
    // The newest record with a hash anywhere (the newest file may be empty right after a rotation).
    for (let i = files.length - 1; i >= 0; i--) {
      const line = lastLine(files[i]!.path);
      if (line === undefined) continue;
      try {
        const h = (JSON.parse(line) as { hash?: unknown }).hash;
        if (typeof h === 'string') this.prev = h;
      } catch {
        this.opts.log.error(
          { file: files[i]!.path },
          'audit log: last record unreadable; chain restarts from it',
        );
      }
      break;
    }
    this.openFile();
  }

  /** The hash of the newest record. */
  get head(): string {
    return this.prev;
  }

  /** Appends one record (args masked), publishes it, returns it. Never throws: a write failure is logged. */
  append(input: AuditInput): AuditRecord {
    const base = {
      at: new Date(this.opts.clock.now()).toISOString(),
      kid: input.kid,
      cmd: input.cmd,
      jti: input.jti,
      args: maskArgs(input.args),
      outcome: input.outcome,
      ...(input.message === undefined ? {} : { message: input.message.slice(0, 2000) }),
      duration_ms: Math.max(0, Math.round(input.duration_ms)),
      prev_hash: this.prev,
    };
    const rec: AuditRecord = { ...base, hash: auditHash(base) };
    try {
      if (this.fd === undefined) this.open();
      const buf = Buffer.from(`${JSON.stringify(rec)}\n`);
      if (this.fileBytes > 0 && this.fileBytes + buf.length > this.maxFileBytes) this.rotate();
      writeSync(this.fd!, buf);
      this.fileBytes += buf.length;
      this.prev = rec.hash;
    } catch (err) {
      this.opts.log.error({ err, audit: rec }, 'audit record not written');
    }
    this.opts.publisher?.publishEvent('audit', rec);
    return rec;
  }

  /** Closes the file. Idempotent. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private openFile(): void {
    this.fd = openSync(join(this.opts.dir, fileName(this.fileNo)), 'a', 0o600);
    this.fileBytes = fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.close();
    this.fileNo++;
    this.openFile();
    const files = auditFiles(this.opts.dir);
    for (const f of files.slice(0, Math.max(0, files.length - this.maxFiles))) {
      try {
        unlinkSync(f.path);
      } catch (err) {
        this.opts.log.warn({ err, file: f.path }, 'old audit file not removed');
      }
    }
  }
}

/** Result of verifyAuditLog. */
export interface AuditVerification {
  ok: boolean;
  /** Records checked. */
  records: number;
  /** One line per break: file, line number, what is wrong. */
  problems: string[];
}

/**
 * Checks the chain over every audit file in `dir`: each record's hash matches its content (an edit shows) and
 * its prev_hash is the previous record's hash (a deletion shows). The oldest file kept may start mid-chain
 * (older files rotated away) unless it is file 1, which must start from GENESIS_HASH.
 */
export function verifyAuditLog(dir: string): AuditVerification {
  const problems: string[] = [];
  let records = 0;
  let prev: string | undefined;
  const files = auditFiles(dir);
  files.forEach((f, fi) => {
    if (fi > 0 && f.n !== files[fi - 1]!.n + 1) problems.push(`${f.path}: files before it are missing`);
    const text = readFileText(f.path);
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    lines.forEach((line, li) => {
      const at = `${f.path}:${li + 1}`;
      let r: AuditRecord;
      try {
        r = JSON.parse(line) as AuditRecord;
      } catch {
        problems.push(`${at}: not JSON`);
        prev = undefined;
        return;
      }
      records++;
      if (prev === undefined && fi === 0 && li === 0 && f.n === 1 && r.prev_hash !== GENESIS_HASH)
        problems.push(`${at}: first record does not start the chain`);
      if (prev !== undefined && r.prev_hash !== prev)
        problems.push(`${at}: prev_hash does not match (a record is missing)`);
      const { hash, ...rest } = r;
      if (auditHash(rest) !== hash) problems.push(`${at}: hash does not match its content (edited)`);
      prev = hash;
    });
  });
  return { ok: problems.length === 0, records, problems };
}

function readFileText(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    readSync(fd, buf, 0, size, 0);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
