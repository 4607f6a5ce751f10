import { PbxlinkError } from '../../core/errors';
import type { Logger } from '../../core/log';
import type { AmiActions } from '../ami/actions';
import type { AmiClient } from '../ami/types';

/** One AstDB write, as FreePBX issues them (§9.1, §9.2, §10.3); `key` may contain `/` (§6.2). */
export type AstDbOp =
  | { op: 'put'; family: string; key: string; value: string }
  | { op: 'del'; family: string; key: string }
  | { op: 'deltree'; family: string; key: string };

/** Value of one key before the change (`undefined` = absent), used to undo it. */
interface Previous {
  family: string;
  key: string;
  value: string | undefined;
}

/** Most keys one deltree may remove (an extension has ~30, follow-me 7): anything larger is refused before writing. */
const MAX_TREE_KEYS = 1000;

/** Splits `/FAMILY/a/b` (a `database show` key) into family `FAMILY` and key `a/b`. */
function splitPath(path: string): { family: string; key: string } | undefined {
  const m = /^\/([^/]+)\/(.+)$/.exec(path);
  return m ? { family: m[1]!, key: m[2]! } : undefined;
}

/**
 * AstDB writes through AMI DBPut/DBDel/DBDelTree (never the CLI with quoted values), with compensation: the
 * previous value of every key a plan touches is read first (DBGet; a deltree's keys are enumerated with
 * `database show`, §6.3), and when a write fails half-way every key already touched is put back.
 */
export class AstDbWriter {
  constructor(
    private readonly actions: AmiActions,
    private readonly ami: AmiClient,
    private readonly log?: Logger,
  ) {}

  /** Keys (as `FAMILY/key`) under `family/key`, enumerated with `database show` (§6.3: `"%-50s: %-25s"` lines). */
  async listTree(family: string, key: string): Promise<string[]> {
    const lines = await this.ami.command(`database show ${family} ${key}`);
    const out: string[] = [];
    for (const line of lines) {
      const m = /^(\/\S+)\s*: /.exec(line);
      if (!m) continue;
      out.push(m[1]!);
      if (out.length > MAX_TREE_KEYS) {
        throw new PbxlinkError(
          'internal',
          `AstDB tree ${family}/${key} holds more than ${MAX_TREE_KEYS} keys`,
        );
      }
    }
    return out;
  }

  /** Reads what every op would overwrite or remove. */
  async snapshot(ops: readonly AstDbOp[]): Promise<Previous[]> {
    const seen = new Set<string>();
    const prev: Previous[] = [];
    const add = async (family: string, key: string) => {
      const id = `${family}/${key}`;
      if (seen.has(id)) return;
      seen.add(id);
      prev.push({ family, key, value: await this.actions.dbGet(family, key) });
    };
    for (const op of ops) {
      if (op.op !== 'deltree') {
        await add(op.family, op.key);
        continue;
      }
      for (const path of await this.listTree(op.family, op.key)) {
        const p = splitPath(path);
        if (p) await add(p.family, p.key);
      }
    }
    return prev;
  }

  /**
   * Runs `ops` in order. When one fails, restores every snapshotted key and throws `unavailable` (details: the
   * failed op index and whether the restore succeeded). Returns the snapshot (for a later undo).
   */
  async apply(ops: readonly AstDbOp[]): Promise<Previous[]> {
    let prev: Previous[];
    try {
      prev = await this.snapshot(ops);
    } catch (err) {
      // Nothing written yet: the AstDB is not readable now (AMI down, permission, …).
      throw new PbxlinkError('unavailable', `AstDB not readable: ${(err as Error).message}`, {
        cause: err,
        details: { astdb_failed_op: null, astdb_restored: true },
      });
    }
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      try {
        if (op.op === 'put') await this.actions.dbPut(op.family, op.key, op.value);
        else if (op.op === 'del') await this.actions.dbDel(op.family, op.key);
        else await this.actions.dbDelTree(op.family, op.key);
      } catch (err) {
        const restored = await this.restore(prev);
        this.log?.error({ err, failed_op: i, restored }, 'AstDB write failed; keys restored');
        throw new PbxlinkError(
          'unavailable',
          `AstDB write failed at ${op.op} ${op.family}/${op.key}: ${(err as Error).message}`,
          {
            cause: err,
            details: { astdb_failed_op: i, astdb_restored: restored },
          },
        );
      }
    }
    return prev;
  }

  /** Puts every key back to its previous value (absent ones deleted); true when every write succeeded. */
  async restore(prev: readonly Previous[]): Promise<boolean> {
    let ok = true;
    for (const p of [...prev].reverse()) {
      try {
        if (p.value === undefined) await this.actions.dbDel(p.family, p.key);
        else await this.actions.dbPut(p.family, p.key, p.value);
      } catch (err) {
        ok = false;
        this.log?.error({ err, family: p.family, key: p.key }, 'AstDB restore failed');
      }
    }
    return ok;
  }
}
