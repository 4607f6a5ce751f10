import { isPbxlinkError, PbxlinkError } from '../../core/errors';
import type { Logger } from '../../core/log';
import type { Publisher } from '../../core/module';
import { AmiActions } from '../ami/actions';
import type { AmiClient } from '../ami/types';
import { type ApplyOutcome, ConfigApplier } from './apply-config';
import { AstDbWriter } from './astdb';
import type { ChangePlan } from './change-plan';
import type { DbTx, FreepbxDb } from './db';
import { KeyedMutex } from './keyed-mutex';
import { lockAndSnapshot, restoreSnapshot, runChanges, type Scope, type Snapshot } from './sql-changes';

/** What ConfigChanger needs; one instance (and one mutex) per agent. */
export interface ConfigChangerDeps {
  db: FreepbxDb;
  configDb: string;
  astdb: AstDbWriter;
  applier: ConfigApplier;
  /** Per-account serialization inside this agent (keys: extension/trunk numbers). */
  mutex: KeyedMutex;
  /** False while AMI is down: changes that need AstDB are refused before any row is written. */
  astdbReady?: () => boolean;
  /** Where `config.changed` goes (absent in some tests). */
  publisher?: Publisher;
  log?: Logger;
}

/** One requested change: the rows it may touch, and how to plan it from what is there now. */
export interface ChangeRequest {
  /** Mutex key: changes with the same key never overlap (an extension and its follow-me share one). */
  lockKey: string;
  scopes: Scope[];
  dryRun: boolean;
  /** Key id of the caller (the event's `by`). */
  by: string;
  /** Plans the change from the locked rows; may query more through `tx`; throws not_found/conflict/invalid_args. */
  build(snap: Snapshot, tx: DbTx): Promise<ChangePlan> | ChangePlan;
}

/** A change as done (or, for dry_run, as it would be done). */
export interface ChangeOutcome {
  plan: ChangePlan;
  /** The apply command's outcome; null on dry_run or when nothing changed. */
  applied: ApplyOutcome | null;
}

/**
 * Runs a configuration change the way the issue asks: under a per-account mutex, the rows locked with
 * SELECT … FOR UPDATE and written in one transaction; then the AstDB keys (after commit) — if one fails, the keys
 * already written are restored and the rows put back as they were; then need_reload + the apply command; then
 * a `config.changed` event. On FreePBX 2.11's MyISAM tables ROLLBACK undoes nothing, so a failure after the first
 * row write restores the snapshot explicitly there too.
 */
export class ConfigChanger {
  private readonly engines = new Map<string, string>();

  constructor(private readonly deps: ConfigChangerDeps) {}

  /** Plans and (unless dry_run) performs one change. */
  run(req: ChangeRequest): Promise<ChangeOutcome> {
    return this.deps.mutex.run(req.lockKey, () => this.runLocked(req));
  }

  private async runLocked(req: ChangeRequest): Promise<ChangeOutcome> {
    const { db, configDb } = this.deps;
    let snap: Snapshot | undefined;
    let wrote = false;
    let plan: ChangePlan;
    try {
      plan = await db.transaction(async (tx) => {
        snap = await lockAndSnapshot(tx, configDb, req.scopes);
        const p = await req.build(snap, tx);
        if (!req.dryRun && p.astdb.length > 0 && this.deps.astdbReady && !this.deps.astdbReady()) {
          // Refuse before the first row is written: the keys could not follow (reference §9.3: the dialplan
          // reads AstDB, so rows without their keys would be a half-made extension).
          throw new PbxlinkError('unavailable', 'AMI is not connected: AstDB cannot be written now', {
            retryable: true,
          });
        }
        if (!req.dryRun && p.db.length > 0) {
          wrote = true;
          await runChanges(tx, configDb, p.db);
        }
        return p;
      });
    } catch (err) {
      // InnoDB rolled the rows back already; restoring there could undo a concurrent winner's rows.
      if (wrote && snap && !(await this.transactional(req.scopes))) await this.restoreRows(snap);
      throw lockConflict(err) ?? err;
    }
    if (req.dryRun) return { plan, applied: null };
    if (plan.db.length === 0 && plan.astdb.length === 0) return { plan, applied: null };
    try {
      await this.deps.astdb.apply(plan.astdb);
    } catch (err) {
      const rowsRestored = snap ? await this.restoreRows(snap) : false;
      const details = isPbxlinkError(err) && typeof err.details === 'object' ? err.details : {};
      throw new PbxlinkError(
        isPbxlinkError(err) ? err.code : 'unavailable',
        `${plan.kind} ${plan.id} not changed: ${(err as Error).message}`,
        { cause: err, details: { ...details, rows_restored: rowsRestored } },
      );
    }
    const applied = await this.deps.applier.apply();
    this.deps.publisher?.publishEvent('config.changed', {
      kind: plan.kind,
      action: plan.action,
      id: plan.id,
      fields: plan.fields,
      by: req.by,
      applied,
    });
    return { plan, applied };
  }

  /** Whether every table of `scopes` rolls back (InnoDB); FreePBX 2.11 creates them MyISAM (§8.2 fixtures). */
  private async transactional(scopes: readonly Scope[]): Promise<boolean> {
    const tables = [...new Set(scopes.map((s) => s.table))];
    const unknown = tables.filter((t) => !this.engines.has(t));
    if (unknown.length > 0) {
      try {
        const rows = await this.deps.db.query<{ TABLE_NAME: string; ENGINE: string | null }>(
          `SELECT TABLE_NAME, ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (${unknown.map(() => '?').join(', ')})`,
          [this.deps.configDb, ...unknown],
        );
        for (const r of rows) this.engines.set(r.TABLE_NAME, String(r.ENGINE ?? ''));
      } catch {
        return false; // unknown: restore explicitly (safe under the mutex)
      }
    }
    return tables.every((t) => (this.engines.get(t) ?? '').toLowerCase() === 'innodb');
  }

  private async restoreRows(snap: Snapshot): Promise<boolean> {
    try {
      await restoreSnapshot(this.deps.db, this.deps.configDb, snap);
      return true;
    } catch (err) {
      this.deps.log?.error({ err }, 'could not restore the rows of a failed change');
      return false;
    }
  }
}

/** InnoDB deadlock / lock wait timeout between two writers of one account → `conflict` (retryable). */
function lockConflict(err: unknown): PbxlinkError | undefined {
  const code = isPbxlinkError(err) ? (err.details as { code?: string } | undefined)?.code : undefined;
  if (code !== 'ER_LOCK_DEADLOCK' && code !== 'ER_LOCK_WAIT_TIMEOUT') return undefined;
  return new PbxlinkError('conflict', 'a concurrent change of the same record won; retry', {
    cause: err,
    retryable: true,
    details: { code },
  });
}

/** What createConfigChanger needs: the pool, the config database, AMI, the apply command and where events go. */
export interface ConfigChangerOptions {
  db: FreepbxDb;
  configDb: string;
  ami: AmiClient;
  /** config `apply_cmd` (PBXLINK_APPLY_CMD). */
  applyArgv: readonly string[];
  applyTimeoutMs?: number;
  publisher?: Publisher;
  log?: Logger;
}

/** Wires a ConfigChanger (AstDB writer over AMI, applier, mutex) from its parts. */
export function createConfigChanger(o: ConfigChangerOptions): ConfigChanger {
  return new ConfigChanger({
    db: o.db,
    configDb: o.configDb,
    astdb: new AstDbWriter(new AmiActions(o.ami), o.ami, o.log),
    applier: new ConfigApplier({
      db: o.db,
      configDb: o.configDb,
      argv: o.applyArgv,
      timeoutMs: o.applyTimeoutMs,
      log: o.log,
    }),
    mutex: new KeyedMutex(),
    astdbReady: () => o.ami.state === 'connected',
    publisher: o.publisher,
    log: o.log,
  });
}
