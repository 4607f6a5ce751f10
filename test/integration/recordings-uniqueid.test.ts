import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingsGetCommand } from '../../agent/src/commands/recordings';
import { FreepbxDb } from '../../agent/src/pbx/freepbx/db';
import { PbxlinkClient } from '../../protocol/src/client/client';
import { CommandFailedError } from '../../protocol/src/client/replies';
import { downloadRecording } from '../../protocol/src/client/transfer';
import { cdrRow, createTestDatabases, seedCdr, type TestDatabases } from '../helpers/mariadb';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto';
import { type StandIn, startStandIn, testKey, writeWav } from './recordings-harness';

const key = testKey();
let broker: MosquittoBroker;
let base: string;
let root: string;
const dbs: TestDatabases[] = [];
const pools: FreepbxDb[] = [];
const agents: StandIn[] = [];

// §12.2: recordingfile = file name only, in YYYY/MM/DD; §12.1: userfield 'audio:<name>' (sometimes absolute), flat.
const NEW_NAME = 'exten-201-200-20240115-093012-1705307412.34.wav';
const OLD_NAME = 'OUT200-20100302-101500-1267524900.13.wav';

beforeAll(async () => {
  broker = await startMosquitto();
  base = await mkdtemp(join(tmpdir(), 'pbxl-runiq-'));
  root = join(base, 'monitor');
  await mkdir(join(root, '2024/01/15'), { recursive: true });
  await writeWav(join(root, '2024/01/15', NEW_NAME), 200_000, 8192);
  await writeWav(join(root, OLD_NAME), 100_000, 8192);
}, 60_000);

afterAll(async () => {
  for (const a of agents) await a.stop();
  for (const p of pools) await p.close();
  for (const d of dbs) await d.drop();
  await broker?.close();
  if (base) await rm(base, { recursive: true, force: true });
});

async function agentFor(
  variant: 'freepbx-13' | 'elastix-2.2',
  agentId: string,
  rows: Record<string, string | number>[],
) {
  const d = await createTestDatabases({ cdr: variant });
  dbs.push(d);
  await seedCdr(
    d.cdrDb,
    rows.map((r, i) => ({ ...cdrRow(i), ...r })),
  );
  const db = new FreepbxDb({ host: d.host, port: d.port, user: 'root' });
  pools.push(db);
  const handler = createRecordingsGetCommand({
    root,
    cdr: { db, cdrDb: d.cdrDb, cdrTable: 'cdr' },
    blobTopic: (id) => `pbxlink/v1/${agentId}/blob/${id}`,
  });
  agents.push(await startStandIn(broker.url, agentId, [handler]));
}

const connect = () => PbxlinkClient.connect({ url: broker.url });

async function codeOf(agentId: string, uniqueid: string): Promise<string> {
  try {
    await downloadRecording(
      connect,
      agentId,
      { uniqueid },
      { ...key, output: join(base, `x-${uniqueid}`), retries: 0 },
    );
    return 'ok';
  } catch (e) {
    return e instanceof CommandFailedError ? e.code : String(e);
  }
}

describe('recordings.get by CDR uniqueid', () => {
  it('FreePBX 2.10+: cdr.recordingfile (name only) → the dated folder', async () => {
    await agentFor('freepbx-13', 'uniq-fp13', [
      { uniqueid: '1705307412.34', recordingfile: NEW_NAME },
      { uniqueid: '1705307412.99', recordingfile: '' },
      { uniqueid: '1705307413.1', recordingfile: 'deleted' },
      { uniqueid: '1705307413.2', recordingfile: 'exten-1-2-20240115-000000-1705307413.2.wav' }, // file gone
    ]);
    const out = join(base, 'fp13.wav');
    const r = await downloadRecording(
      connect,
      'uniq-fp13',
      { uniqueid: '1705307412.34' },
      { ...key, output: out },
    );
    expect(r.name).toBe(`2024/01/15/${NEW_NAME}`);
    expect((await readFile(out)).equals(await readFile(join(root, '2024/01/15', NEW_NAME)))).toBe(true);
    expect(await codeOf('uniq-fp13', '1705307412.99')).toBe('not_found');
    expect(await codeOf('uniq-fp13', '1705307413.1')).toBe('not_found');
    expect(await codeOf('uniq-fp13', '1705307413.2')).toBe('not_found');
    expect(await codeOf('uniq-fp13', 'nope.1')).toBe('not_found');
  });

  it("Elastix ≤2.3: userfield 'audio:…' (relative or absolute under the root) → flat folder; outside → refused", async () => {
    await agentFor('elastix-2.2', 'uniq-elx', [
      { uniqueid: '1267524900.13', userfield: `audio:${OLD_NAME}` },
      { uniqueid: '1267524900.14', userfield: `audio:${root}/${OLD_NAME}` },
      { uniqueid: '1267524900.15', userfield: 'audio:../../etc/passwd' },
    ]);
    const out = join(base, 'elx.wav');
    const r = await downloadRecording(
      connect,
      'uniq-elx',
      { uniqueid: '1267524900.13' },
      { ...key, output: out },
    );
    expect(r.name).toBe(OLD_NAME);
    expect((await readFile(out)).equals(await readFile(join(root, OLD_NAME)))).toBe(true);
    const r2 = await downloadRecording(
      connect,
      'uniq-elx',
      { uniqueid: '1267524900.14' },
      { ...key, output: join(base, 'elx2.wav') },
    );
    expect(r2.name).toBe(OLD_NAME);
    // A pointer leaving the root is never followed: the CDR names no usable file.
    expect(await codeOf('uniq-elx', '1267524900.15')).toBe('not_found');
  });
});
