import { posix } from 'node:path';
import { PbxlinkError } from '../core/errors';
import { loadCdrColumns, quoteIdent } from '../pbx/cdr/columns';
import type { FreepbxDb } from '../pbx/freepbx/db';
import { normalizeRequestedName, type RecordingFile, realRoot, resolveUnderRoot } from './confine';
import { datedFolderOf, RECORDING_EXTENSIONS, splitExtension } from './name';

/**
 * Finds a recording by name as the seed and Elastix did (§12.2): the path as given (flat or `YYYY/MM/DD/…`);
 * else its base name flat in the root, then in the dated folder of its date token; a name without a known
 * extension tries each known extension in those places (Elastix's `<name>*` glob, without a glob). Never walks
 * the tree. invalid_args for names leaving the root, not_found when no candidate exists.
 */
export async function locateByName(root: string, name: string): Promise<RecordingFile> {
  const rel = normalizeRequestedName(root, name);
  const rootReal = await realRoot(root);
  const base = posix.basename(rel);
  const dated = datedFolderOf(base);
  const places = [rel, base, ...(dated ? [`${dated}/${base}`] : [])];
  const candidates = [...new Set(places)];
  if (splitExtension(base).format === '') {
    for (const p of [...candidates]) for (const ext of RECORDING_EXTENSIONS) candidates.push(`${p}.${ext}`);
  }
  for (const c of candidates) {
    const found = await resolveUnderRoot(rootReal, c, true);
    if (found) return found;
  }
  throw new PbxlinkError('not_found', `no recording named ${rel}`, { details: { name: rel } });
}

/** Where the CDR lives: pool, database and table (§8.1 CDRDBNAME / CDRDBTABLENAME). */
export interface CdrLocation {
  db: FreepbxDb;
  cdrDb: string;
  cdrTable: string;
}

/**
 * The file names the CDR holds for `uniqueid`, newest first: `recordingfile` on FreePBX 2.10+, or
 * `userfield = 'audio:<name>'` on Elastix ≤2.3, decided by the columns present (§12.1, §12.2, §14.5).
 * Empty and `deleted` values are skipped.
 */
export async function recordingNamesForUniqueid(cdr: CdrLocation, uniqueid: string): Promise<string[]> {
  const cols = await loadCdrColumns(cdr.db, cdr.cdrDb, cdr.cdrTable);
  const table = `${quoteIdent(cdr.cdrDb)}.${quoteIdent(cdr.cdrTable)}`;
  const names: string[] = [];
  if (cols.recordings === 'recordingfile') {
    const rows = await cdr.db.query<{ f: string }>(
      `SELECT recordingfile AS f FROM ${table} WHERE uniqueid = ? AND recordingfile <> '' AND recordingfile <> 'deleted' ORDER BY calldate DESC LIMIT 20`,
      [uniqueid],
    );
    names.push(...rows.map((r) => String(r.f)));
  }
  if (cols.has('userfield')) {
    const rows = await cdr.db.query<{ f: string }>(
      `SELECT userfield AS f FROM ${table} WHERE uniqueid = ? AND userfield LIKE 'audio:%' ORDER BY calldate DESC LIMIT 20`,
      [uniqueid],
    );
    names.push(...rows.map((r) => String(r.f).slice('audio:'.length)));
  }
  return [...new Set(names.filter((n) => n.length > 0))];
}

/** Finds the recording of a CDR uniqueid: not_found when the CDR names none or none of its files exists. */
export async function locateByUniqueid(
  root: string,
  cdr: CdrLocation,
  uniqueid: string,
): Promise<RecordingFile> {
  const names = await recordingNamesForUniqueid(cdr, uniqueid);
  for (const n of names) {
    try {
      return await locateByName(root, n);
    } catch (e) {
      // A pointer that is missing on disk (or malformed) does not hide a later row that is fine.
      if ((e as PbxlinkError).code !== 'not_found' && (e as PbxlinkError).code !== 'invalid_args') throw e;
    }
  }
  throw new PbxlinkError('not_found', `no recording for uniqueid ${uniqueid}`, {
    details: { uniqueid, cdr_names: names.length },
  });
}
