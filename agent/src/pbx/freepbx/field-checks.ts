import { isIP } from 'node:net';
import { PbxlinkError } from '../../core/errors';

/** One semantic problem, shaped like the protocol validator's (JSON pointer + message). */
export interface FieldProblem {
  path: string;
  message: string;
}

/** An IPv4 netmask in dotted form must be contiguous ones (255.255.255.0, not 255.0.255.0). */
function isDottedMask(mask: string): boolean {
  if (isIP(mask) !== 4) return false;
  const bits = mask
    .split('.')
    .map((o) => Number(o).toString(2).padStart(8, '0'))
    .join('');
  return /^1*0*$/.test(bits);
}

/** chan_sip's deny/permit: `ip/mask` with a dotted or prefix mask, entries joined with `&` (sip.conf ACL). */
export function checkIpMaskList(value: string): string | undefined {
  if (value === '') return undefined;
  for (const entry of value.split('&')) {
    const [ip, mask, extra] = entry.split('/');
    if (ip === undefined || mask === undefined || extra !== undefined) return `${entry}: expected ip/mask`;
    const family = isIP(ip);
    if (family === 0) return `${entry}: ${ip} is not an IP address`;
    if (/^[0-9]{1,3}$/.test(mask)) {
      if (Number(mask) > (family === 4 ? 32 : 128)) return `${entry}: prefix length out of range`;
    } else if (family !== 4 || !isDottedMask(mask)) {
      return `${entry}: ${mask} is not a netmask`;
    }
  }
  return undefined;
}

/** Control characters (C0 and DEL): never allowed in a name (they would end a sip.conf line or an AMI header). */
const CONTROL = {
  test: (s: string) => [...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f),
};
/** `Name <number>`: a name without quotes, angle brackets or `;`, then the number in angle brackets. */
const CALLERID = /^([^<>";]{1,60} )?<[0-9A-Za-z*#+_.-]{1,40}>$/;
/** users.outboundcid: `"Name" <number>`, `Name <number>` or a bare number. */
const OUTBOUNDCID = /^("?[^<>;"]*"? )?<?[0-9A-Za-z*#+_.-]{1,40}>?$/;

/** `Name <number>` (or `<number>`), as FreePBX writes `callerid` (§9.1 step 6). */
export function checkCallerId(value: string): string | undefined {
  return CALLERID.test(value) && !CONTROL.test(value) ? undefined : 'expected "Name <number>"';
}

/** Semantic checks a JSON Schema cannot say, over the SIP fields of an extension or trunk write. */
export function sipFieldProblems(args: Record<string, unknown>, kind: 'extension' | 'trunk'): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const f of ['deny', 'permit'] as const) {
    const v = args[f];
    if (typeof v === 'string') {
      const why = checkIpMaskList(v);
      if (why) out.push({ path: `/${f}`, message: why });
    }
  }
  if (typeof args.callerid === 'string') {
    const why = checkCallerId(args.callerid);
    if (why) out.push({ path: '/callerid', message: why });
  }
  if (typeof args.outboundcid === 'string' && args.outboundcid !== '') {
    if (!OUTBOUNDCID.test(args.outboundcid) || CONTROL.test(args.outboundcid)) {
      out.push({ path: '/outboundcid', message: 'expected "Name <number>" or a number' });
    }
  }
  if (typeof args.name === 'string' && args.name.trim() === '') {
    out.push({ path: '/name', message: 'must not be blank' });
  }
  if (kind === 'trunk' && typeof args.name === 'string' && !/^[A-Za-z0-9_.+-]{1,50}$/.test(args.name)) {
    out.push({
      path: '/name',
      message: 'a trunk name is its sip.conf section: letters, digits, _ . + - only',
    });
  }
  if (typeof args.port === 'number' && (args.port < 1 || args.port > 65535)) {
    out.push({ path: '/port', message: 'must be 1..65535' });
  }
  if (typeof args.qualify === 'string' && /^[0-9]+$/.test(args.qualify) && Number(args.qualify) > 60000) {
    out.push({ path: '/qualify', message: 'latency must be at most 60000 ms' });
  }
  if (kind === 'extension' && typeof args.host === 'string' && args.host !== 'dynamic') {
    if (
      isIP(args.host) === 0 &&
      !/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+$/.test(args.host)
    ) {
      out.push({ path: '/host', message: "expected 'dynamic', an IP address or a host name" });
    }
  }
  return out;
}

/** Throws invalid_args naming every problem (same message/details shape as the protocol's assertArgs). */
export function throwProblems(command: string, problems: readonly FieldProblem[]): void {
  if (problems.length === 0) return;
  const text = problems.map((p) => `${p.path === '' ? 'args' : p.path.slice(1)}: ${p.message}`).join('; ');
  throw new PbxlinkError('invalid_args', `invalid arguments for ${command}: ${text}`, {
    details: { problems },
  });
}
