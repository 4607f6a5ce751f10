/** What a FreePBX/Elastix recording file name tells (reference §12.1, §12.2); null where the name does not say. */
export interface RecordingName {
  /** First `-` token of a 2.10+ name (`exten`, `out`, `in`, `internal`, `q`, `rg`, `ondemand`, … — an open enum),
   * or the 2.8 prefix: `group` (g), `out` (OUT), `in` (no prefix), `auto` (one-touch). */
  kind: string | null;
  /** Called side: extension, dialled number, queue, ring group, DID. */
  to: string | null;
  /** Calling side: FROMEXTEN / caller id. */
  from: string | null;
  /** `YYYY-MM-DD HH:MM:SS` (PBX local time, as written in the name). */
  recorded_at: string | null;
  /** CDR uniqueid (`<epoch>.<n>`, may hold a `-` when `systemname` is set, §12.2). */
  uniqueid: string | null;
  /** File extension as written (`wav`, `WAV` = GSM in RIFF, `gsm`, `mp3`), or '' when none. */
  format: string;
}

/** Audio file extensions Asterisk/FreePBX write (§12: MIXMON_FORMAT wav, WAV, gsm; Elastix also lists mp3). */
export const RECORDING_EXTENSIONS: readonly string[] = [
  'wav',
  'WAV',
  'gsm',
  'mp3',
  'ogg',
  'sln',
  'g729',
  'ulaw',
  'alaw',
];

const DATE = /^(\d{4})(\d{2})(\d{2})$/;
const TIME = /^(\d{2})(\d{2})(\d{2})$/;

function stamp(d: string, t: string): string | null {
  const dm = DATE.exec(d);
  const tm = TIME.exec(t);
  if (!dm || !tm) return null;
  return `${dm[1]}-${dm[2]}-${dm[3]} ${tm[1]}:${tm[2]}:${tm[3]}`;
}

/** Splits `name` (a base name) into stem and a known extension. */
export function splitExtension(name: string): { stem: string; format: string } {
  const dot = name.lastIndexOf('.');
  if (dot > 0) {
    const ext = name.slice(dot + 1);
    if (RECORDING_EXTENSIONS.includes(ext) || RECORDING_EXTENSIONS.includes(ext.toLowerCase())) {
      return { stem: name.slice(0, dot), format: ext };
    }
  }
  return { stem: name, format: '' };
}

/** Index of the first 8-digit token starting with `2` that is followed by a 6-digit token (§12.2 parsing rule). */
function dateIndex(tokens: string[]): number {
  for (let i = 0; i + 1 < tokens.length; i++) {
    const d = tokens[i] as string;
    if (/^2\d{7}$/.test(d) && TIME.test(tokens[i + 1] as string)) return i;
  }
  return -1;
}

const nz = (s: string | undefined): string | null => (s === undefined || s === '' ? null : s);

/** Parses a recording base name; never throws (an unknown shape gives nulls and the extension). */
export function parseRecordingName(baseName: string): RecordingName {
  const { stem, format } = splitExtension(baseName);
  const none: RecordingName = { kind: null, to: null, from: null, recorded_at: null, uniqueid: null, format };
  const tokens = stem.split('-');
  // One-touch automon (§12.1): auto-<epoch>-<callernum>-<calleenum>.
  if (tokens[0] === 'auto' && tokens.length >= 4 && /^\d{9,}$/.test(tokens[1] as string)) {
    const at = new Date(Number(tokens[1]) * 1000).toISOString();
    return {
      ...none,
      kind: 'auto',
      from: nz(tokens[2]),
      to: nz(tokens.slice(3).join('-')),
      recorded_at: `${at.slice(0, 10)} ${at.slice(11, 19)}`,
    };
  }
  const di = dateIndex(tokens);
  if (di < 0) return none;
  const recorded_at = stamp(tokens[di] as string, tokens[di + 1] as string);
  const uniqueid = nz(tokens.slice(di + 2).join('-'));
  const head = tokens.slice(0, di);
  if (head.length === 0) return { ...none, kind: 'in', recorded_at, uniqueid }; // 2.8 inbound: no prefix
  if (head.length === 1) {
    const h = head[0] as string;
    // 2.8 flat names (§12.1): g<ext>- group/ring-group/follow-me, OUT<ext>- outbound.
    let m = /^OUT(.+)$/.exec(h);
    if (m) return { ...none, kind: 'out', from: nz(m[1]), recorded_at, uniqueid };
    m = /^g(\d.*)$/.exec(h);
    if (m) return { ...none, kind: 'group', to: nz(m[1]), recorded_at, uniqueid };
    m = /^q(\d.*)$/.exec(h);
    if (m) return { ...none, kind: 'q', to: nz(m[1]), recorded_at, uniqueid };
    return { ...none, kind: h, recorded_at, uniqueid };
  }
  // 2.10+ (§12.2): <type>-<arg2>-<FROMEXTEN>-…; a `-` inside a party cannot be told apart, so the rest is `from`.
  return {
    ...none,
    kind: head[0] as string,
    to: nz(head[1]),
    from: nz(head.slice(2).join('-')),
    recorded_at,
    uniqueid,
  };
}

/** The dated folder `YYYY/MM/DD` a 2.10+ name belongs in (first 8-digit token starting with 2, §12.2), or null. */
export function datedFolderOf(baseName: string): string | null {
  const { stem } = splitExtension(baseName);
  for (const t of stem.split('-')) {
    const m = /^(2\d{3})(\d{2})(\d{2})$/.exec(t);
    if (m) return `${m[1]}/${m[2]}/${m[3]}`;
  }
  return null;
}
