/** In-memory AstDB with the storage model of §6.2 and the per-version delete semantics of §6.1. */
import type { DialectProfile } from './profiles';

/** AstDB operations over a Map keyed `/<family>/<key>` (§6.2), shared by the AMI actions and the CLI. */
export class SimAstDb {
  readonly map: Map<string, string>;
  private readonly profile: DialectProfile;
  /** Set to make every operation fail as "database unavailable" (tests). */
  unavailable = false;

  constructor(map: Map<string, string>, profile: DialectProfile) {
    this.map = map;
    this.profile = profile;
  }

  get(family: string, key: string): string | undefined {
    return this.map.get(`/${family}/${key}`);
  }

  put(family: string, key: string, value: string): boolean {
    if (this.unavailable) return false;
    this.map.set(`/${family}/${key}`, value);
    return true;
  }

  /** Returns whether Asterisk reports success: 1.8 fails on a missing key, SQLite (10+) never does (§6.1). */
  del(family: string, key: string): boolean {
    if (this.unavailable) return false;
    const existed = this.map.delete(`/${family}/${key}`);
    return existed || this.profile.dbDelMissingSucceeds;
  }

  /** Deletes `/<family>[/<keytree>]` and everything under it; returns the count (-1 = unavailable). */
  delTree(family: string, keytree?: string): number {
    if (this.unavailable) return -1;
    const keys = this.match(family, keytree);
    for (const k of keys) this.map.delete(k);
    return keys.length;
  }

  /** Keys under a prefix: `key || '/' LIKE prefix || '/%'` (§6.2) — `/AMPUSER/100` never matches `/1000`. */
  match(family?: string, keytree?: string): string[] {
    let prefix = '';
    if (family) prefix = `/${family}`;
    if (family && keytree) prefix += `/${keytree}`;
    const ci = this.profile.dbTreeCaseInsensitive;
    const p = ci ? `${prefix}/`.toLowerCase() : `${prefix}/`;
    const out: string[] = [];
    for (const k of this.map.keys()) {
      const kk = ci ? `${k}/`.toLowerCase() : `${k}/`;
      if (kk.startsWith(p)) out.push(k);
    }
    return out.sort();
  }
}
