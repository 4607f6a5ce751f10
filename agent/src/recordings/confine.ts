import { realpath, stat } from 'node:fs/promises';
import { posix, sep } from 'node:path';
import { PbxlinkError } from '../core/errors';

/** A recording file found under the monitor root. */
export interface RecordingFile {
  /** Real absolute path (symlinks resolved; inside the root's real path). */
  abs: string;
  /** Path relative to the root, `/`-separated (the watcher's `path`, the transfer's `name`). */
  rel: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

const invalid = (msg: string, name: string) =>
  new PbxlinkError('invalid_args', msg, { details: { arg: 'name', name: name.slice(0, 200) } });

/** The seed's root-relative forms of getwavfile: `/YYYY/MM/DD/file` and `/file`. */
const SEED_FORM = /^\/(\d{4}\/\d{2}\/\d{2}\/)?[^/]+$/;

/**
 * Turns a requested name into a root-relative path, refusing what could leave the root: NUL and control
 * characters, backslashes, `..` segments, absolute paths outside the root. A leading `/` is accepted for the
 * seed's `/YYYY/MM/DD/file.wav` and `/file.wav` forms and for absolute paths under the root (§12.2: Elastix
 * accepts absolute paths only under the monitor folder).
 */
export function normalizeRequestedName(root: string, name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 1024)
    throw invalid('name must be 1..1024 characters', String(name));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  if (/[\u0000-\u001f\u007f]/.test(name)) throw invalid('name holds NUL or control characters', name);
  if (name.includes('\\')) throw invalid('name holds a backslash', name);
  let rel = name;
  if (name.startsWith('/')) {
    const rootSlash = `${root.replace(/\/+$/, '')}/`;
    if (name.startsWith(rootSlash)) rel = name.slice(rootSlash.length);
    else if (SEED_FORM.test(name)) rel = name.slice(1);
    else throw invalid('absolute path outside the monitor root', name);
  }
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw invalid('name may not contain ..', name);
  if (parts.length === 0) throw invalid('name names no file', name);
  return parts.join('/');
}

/** Real path of the root (cached by the caller if wanted); not_found when the root itself is missing. */
export async function realRoot(root: string): Promise<string> {
  try {
    return await realpath(root);
  } catch (e) {
    throw new PbxlinkError('not_found', `monitor root ${root} is missing`, { cause: e });
  }
}

/**
 * Resolves a root-relative path to a regular file whose real path stays under the root's real path: a symlink
 * leaving the root is invalid_args, a missing file not_found. Returns null instead of not_found when `soft`.
 */
export async function resolveUnderRoot(
  rootReal: string,
  rel: string,
  soft = false,
): Promise<RecordingFile | null> {
  const candidate = posix.join(rootReal, rel);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (soft) return null;
      throw new PbxlinkError('not_found', `no recording ${rel}`, { details: { name: rel } });
    }
    throw new PbxlinkError('internal', `cannot resolve ${rel}: ${code}`, { cause: e });
  }
  if (real !== rootReal && !real.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep)) {
    throw new PbxlinkError('invalid_args', 'name resolves outside the monitor root', {
      details: { arg: 'name', name: rel },
    });
  }
  const st = await stat(real);
  if (!st.isFile()) {
    if (soft) return null;
    throw new PbxlinkError('invalid_args', 'name is not a regular file', {
      details: { arg: 'name', name: rel },
    });
  }
  return {
    abs: real,
    rel: real.slice(rootReal.length).replace(/^\/+/, ''),
    size: st.size,
    mtimeMs: st.mtimeMs,
    ino: st.ino,
  };
}
