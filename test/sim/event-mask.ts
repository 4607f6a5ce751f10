/** AMI event masks: the `Events:` header of Login and `EventMask:` of Action Events (§1.2). */

/** Event class flags (include/asterisk/manager.h EVENT_FLAG_*). */
const FLAGS: Record<string, number> = {
  system: 1 << 0,
  call: 1 << 1,
  log: 1 << 2,
  verbose: 1 << 3,
  command: 1 << 4,
  agent: 1 << 5,
  user: 1 << 6,
  config: 1 << 7,
  dtmf: 1 << 8,
  reporting: 1 << 9,
  cdr: 1 << 10,
  dialplan: 1 << 11,
  originate: 1 << 12,
  agi: 1 << 13,
  cc: 1 << 15,
  aoc: 1 << 16,
  test: 1 << 17,
  security: 1 << 18,
  message: 1 << 19,
};

/** All events. */
export const MASK_ALL = -1;

const TRUE_WORDS = new Set(['yes', 'true', 'y', 't', '1', 'on']);
const FALSE_WORDS = new Set(['no', 'false', 'n', 'f', '0', 'off']);

/**
 * Parses a mask (§1.2): ast_true word ⇒ all, ast_false word ⇒ none, digits ⇒ numeric, else a comma list of
 * class names (`all` ⇒ everything). Returns `null` when nothing was recognised ("Invalid event mask").
 */
export function parseEventMask(v: string): number | null {
  const s = v.trim().toLowerCase();
  if (TRUE_WORDS.has(s)) return MASK_ALL;
  if (FALSE_WORDS.has(s)) return 0;
  if (/^\d+$/.test(s)) return Number(s) | 0;
  let mask = 0;
  let known = false;
  for (const part of s.split(',')) {
    const w = part.trim();
    if (w === 'all') return MASK_ALL;
    const f = FLAGS[w];
    if (f !== undefined) {
      mask |= f;
      known = true;
    }
  }
  return known ? mask : null;
}

/** True when an event of class `cls` passes `mask`. */
export function maskAllows(mask: number, cls: string): boolean {
  if (mask === MASK_ALL) return true;
  return (mask & (FLAGS[cls] ?? 0)) !== 0;
}
