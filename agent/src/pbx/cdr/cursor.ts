import { PbxlinkError } from '../../core/errors';

/** The keyset position after the last row sent: its calldate (as stored) and uniqueid. */
export interface CdrCursor {
  calldate: string;
  uniqueid: string;
}

const SQL_DATETIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$/;

/** Opaque cursor text: base64url of `["<calldate>","<uniqueid>"]`. */
export function encodeCursor(c: CdrCursor): string {
  return Buffer.from(JSON.stringify([c.calldate, c.uniqueid]), 'utf8').toString('base64url');
}

/** Parses a cursor made by encodeCursor; anything else is PbxlinkError('invalid_args') naming `cursor`. */
export function decodeCursor(text: string): CdrCursor {
  const bad = (why: string) =>
    new PbxlinkError('invalid_args', `invalid arguments for cdr.query: cursor: ${why}`, {
      details: { problems: [{ path: '/cursor', message: why }] },
    });
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(text)) throw bad('not a cursor returned by cdr.query');
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad('not a cursor returned by cdr.query');
  }
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    typeof v[0] !== 'string' ||
    typeof v[1] !== 'string' ||
    !SQL_DATETIME.test(v[0]) ||
    v[1].length > 150
  ) {
    throw bad('not a cursor returned by cdr.query');
  }
  return { calldate: v[0], uniqueid: v[1] };
}
