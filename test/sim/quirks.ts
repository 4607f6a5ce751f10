/**
 * Opt-in wire quirks seen in real captures (reference §15) that no single simulated version emits on its own;
 * they let client tests prove robustness. Off by default, so the bytes stay those of the named version.
 */

/** Which quirks to apply. */
export interface SimQuirks {
  /** An empty line right after the ActionID (or Privilege) line of a `Response: Follows` reply (§15). */
  followsBlankLine?: boolean;
  /** List events end with `\r\n\n` instead of `\r\n\r\n` (Asterisk 18.19+/20.4+, §15). */
  listEventLfEnd?: boolean;
  /** List-completion events carry no ActionID (§15). */
  completionWithoutActionId?: boolean;
}

const LIST_ACTIONS = new Set(['sippeers', 'coreshowchannels', 'pjsipshowendpoints', 'dbget']);

/** Rewrites one action's reply according to `q`. */
export function applyQuirks(out: string, action: string, q: SimQuirks | undefined): string {
  if (!q) return out;
  let s = out;
  if (q.followsBlankLine && s.startsWith('Response: Follows\r\nPrivilege: Command\r\n')) {
    const head = 'Response: Follows\r\nPrivilege: Command\r\n';
    const m = /^ActionID: [^\r\n]*\r\n/.exec(s.slice(head.length));
    const at = head.length + (m ? m[0].length : 0);
    s = `${s.slice(0, at)}\r\n${s.slice(at)}`;
  }
  if ((q.listEventLfEnd || q.completionWithoutActionId) && LIST_ACTIONS.has(action)) {
    const msgs = s.split('\r\n\r\n');
    const tail = msgs.pop() ?? '';
    s =
      msgs
        .map((m) => {
          let t = m;
          if (q.completionWithoutActionId && /^Event: \w+Complete\r\n/.test(t))
            t = t.replace(/\r\nActionID: [^\r\n]*/, '');
          return `${t}${q.listEventLfEnd && t.startsWith('Event: ') ? '\r\n\n' : '\r\n\r\n'}`;
        })
        .join('') + tail;
  }
  return s;
}
