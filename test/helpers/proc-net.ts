/**
 * Linux /proc readers for "the agent listens on no socket": a process's socket inodes (from the
 * `socket:[inode]` links in /proc/PID/fd) and the kernel's socket tables (/proc/net/{tcp,tcp6,udp,udp6,unix}).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** One row of a /proc/net socket table. */
export interface NetSocket {
  table: 'tcp' | 'tcp6' | 'udp' | 'udp6' | 'unix';
  inode: number;
  /** Local port (0 for unix sockets). */
  localPort: number;
  /** Remote port (0 when unconnected, and for unix sockets). */
  remotePort: number;
  /** Kernel state in hex as printed (`0A` = TCP LISTEN, `01` = ESTABLISHED; unix: `01` unconnected, `03` connected). */
  state: string;
  /** True when the socket accepts connections or datagrams from anyone: TCP LISTEN, any bound UDP
   * socket (local port ≠ 0), a unix socket with __SO_ACCEPTCON (flags 0x10000). */
  listening: boolean;
}

/** Inodes of every socket the process `pid` holds open (`/proc/PID/fd/N -> socket:[inode]`). */
export function socketInodes(pid: number): Set<number> {
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`socketInodes: bad pid ${pid}`);
  const dir = `/proc/${pid}/fd`;
  const out = new Set<number>();
  for (const fd of readdirSync(dir)) {
    let link: string;
    try {
      link = readlinkSync(`${dir}/${fd}`);
    } catch {
      continue; // closed between readdir and readlink
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) out.add(Number(m[1]));
  }
  return out;
}

/** `0100007F:1F90` → 8080 (the port is big-endian hex after the colon). */
function portOf(addr: string | undefined): number {
  const hex = addr?.split(':')[1];
  return hex ? Number.parseInt(hex, 16) : 0;
}

/** Parses one of /proc/net/{tcp,tcp6,udp,udp6} (columns: sl local rem st queues tr retr uid timeout inode …). */
function readInetTable(table: 'tcp' | 'tcp6' | 'udp' | 'udp6'): NetSocket[] {
  let text: string;
  try {
    text = readFileSync(`/proc/net/${table}`, 'utf8');
  } catch {
    return []; // e.g. IPv6 disabled: no tcp6 table
  }
  const rows: NetSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const localPort = portOf(f[1]);
    const state = f[3] ?? '';
    const udp = table.startsWith('udp');
    rows.push({
      table,
      inode: Number(f[9]),
      localPort,
      remotePort: portOf(f[2]),
      state,
      listening: udp ? localPort !== 0 : state === '0A',
    });
  }
  return rows;
}

/** Parses /proc/net/unix (columns: Num RefCount Protocol Flags Type St Inode [Path]). */
function readUnixTable(): NetSocket[] {
  const text = readFileSync('/proc/net/unix', 'utf8');
  const rows: NetSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 7) continue;
    const flags = Number.parseInt(f[3] ?? '0', 16);
    rows.push({
      table: 'unix',
      inode: Number(f[6]),
      localPort: 0,
      remotePort: 0,
      state: f[5] ?? '',
      listening: (flags & 0x10000) !== 0,
    });
  }
  return rows;
}

/** Every socket of the network namespace, from the five tables. */
export function readSocketTables(): NetSocket[] {
  return [
    ...readInetTable('tcp'),
    ...readInetTable('tcp6'),
    ...readInetTable('udp'),
    ...readInetTable('udp6'),
    ...readUnixTable(),
  ];
}

/** The rows of the kernel tables that belong to process `pid` (matched by inode). */
export function socketsOf(pid: number): NetSocket[] {
  const mine = socketInodes(pid);
  return readSocketTables().filter((s) => mine.has(s.inode));
}
