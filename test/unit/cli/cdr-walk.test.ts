/**
 * queryCdr (the library behind pbxctl cdr) against a stand-in agent over a real Mosquitto: the cursor walk sends
 * each next_cursor back, and the ways an answer can be wrong — lost parts, a cursor that does not move, a
 * malformed part, an error reply mid-walk — end in an error, never in a silently short result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CdrQueryEvent, queryCdr } from '../../../protocol/src/client/cdr';
import { PbxlinkClient } from '../../../protocol/src/client/client';
import { CommandFailedError } from '../../../protocol/src/client/replies';
import { doneReply, errorReply, partReply } from '../../../protocol/src/envelope';
import { generateKeyPair } from '../../../protocol/src/signing';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto';
import { type Answer, type FakeAgent, startFakeAgent } from '../../integration/pbxctl-helpers';

const { privateKey, publicKey } = generateKeyPair();
const KID = 'walk-key';
let broker: MosquittoBroker;
let client: PbxlinkClient;
let n = 0;

beforeAll(async () => {
  broker = await startMosquitto();
  client = await PbxlinkClient.connect({ url: broker.url });
});
afterAll(async () => {
  await client?.close();
  await broker?.close();
});

async function withAgent(answer: Answer, fn: (agent: string, fake: FakeAgent) => Promise<void>) {
  const agent = `walk-${++n}`;
  const fake = await startFakeAgent(broker.url, agent, KID, publicKey, answer);
  try {
    await fn(agent, fake);
  } finally {
    await fake.close();
  }
}

async function collect(agent: string, all: boolean): Promise<CdrQueryEvent[]> {
  const out: CdrQueryEvent[] = [];
  for await (const ev of queryCdr(
    client,
    agent,
    { limit: 2, status: 'BUSY' },
    { kid: KID, privateKey, all, timeoutMs: 5000 },
  ))
    out.push(ev);
  return out;
}

/** Three pages of two rows; page k answers cursor c(k-1) with next_cursor c(k), the last with null. */
const threePages: Answer = (c) => {
  const cursor = (c.claims.args as { cursor?: string }).cursor;
  const page = cursor === undefined ? 1 : Number(cursor.slice(1)) + 1;
  const rows = [{ uniqueid: `${page}.1` }, { uniqueid: `${page}.2` }];
  return [
    partReply(c.claims.jti, 1, { rows: [rows[0]] }),
    partReply(c.claims.jti, 2, { columns: ['uniqueid'], rows: [[rows[1]!.uniqueid]] }),
    doneReply(c.claims.jti, { count: 2, next_cursor: page < 3 ? `c${page}` : null }),
  ];
};

describe('queryCdr', () => {
  it('all: each next_cursor goes back as cursor with the same filters, until null', async () => {
    await withAgent(threePages, async (agent, fake) => {
      const evs = await collect(agent, true);
      const rows = evs.flatMap((e) => (e.type === 'rows' ? e.rows.map((r) => r.uniqueid) : []));
      expect(rows).toEqual(['1.1', '1.2', '2.1', '2.2', '3.1', '3.2']);
      expect(evs.filter((e) => e.type === 'page')).toEqual([
        { type: 'page', page: 1, cursor: undefined, count: 2, next_cursor: 'c1' },
        { type: 'page', page: 2, cursor: 'c1', count: 2, next_cursor: 'c2' },
        { type: 'page', page: 3, cursor: 'c2', count: 2, next_cursor: null },
      ]);
      expect(fake.received.map((r) => r.cmd.claims.args)).toEqual([
        { limit: 2, status: 'BUSY' },
        { limit: 2, status: 'BUSY', cursor: 'c1' },
        { limit: 2, status: 'BUSY', cursor: 'c2' },
      ]);
      expect(new Set(fake.received.map((r) => r.cmd.claims.jti)).size).toBe(3);
    });
  });

  it('without all: one page, its next_cursor reported', async () => {
    await withAgent(threePages, async (agent, fake) => {
      const evs = await collect(agent, false);
      expect(evs.at(-1)).toMatchObject({ type: 'page', next_cursor: 'c1' });
      expect(fake.received).toHaveLength(1);
    });
  });

  it('fewer rows than the done count (a lost part) is an error', async () => {
    await withAgent(
      (c) => [
        partReply(c.claims.jti, 1, { rows: [{ a: 1 }] }),
        doneReply(c.claims.jti, { count: 5, next_cursor: null }),
      ],
      async (agent) => {
        await expect(collect(agent, true)).rejects.toThrow(/received 1 rows but the agent sent 5/);
      },
    );
  });

  it('a next_cursor equal to the cursor sent stops the walk instead of looping', async () => {
    await withAgent(
      (c) => [doneReply(c.claims.jti, { count: 0, next_cursor: 'same' })],
      async (agent) => {
        await expect(collect(agent, true)).rejects.toThrow(/next_cursor did not move/);
      },
    );
  });

  it('a malformed part or done reply is an error', async () => {
    await withAgent(
      (c) => [partReply(c.claims.jti, 1, { rows: 'not gzip', encoding: 'gzip+base64' })],
      async (agent) => {
        await expect(collect(agent, false)).rejects.toThrow(/malformed cdr.query part/);
      },
    );
    await withAgent(
      (c) => [doneReply(c.claims.jti, { rows: 3 })],
      async (agent) => {
        await expect(collect(agent, false)).rejects.toThrow(/lacks count\/next_cursor/);
      },
    );
  });

  it('an error reply on a later page is thrown with its code, after the rows of the earlier pages', async () => {
    await withAgent(
      (c) =>
        (c.claims.args as { cursor?: string }).cursor === undefined
          ? threePages(c)
          : [errorReply(c.claims.jti, 'unavailable', 'database unavailable')],
      async (agent) => {
        const seen: CdrQueryEvent[] = [];
        const err = await (async () => {
          try {
            for await (const ev of queryCdr(
              client,
              agent,
              {},
              { kid: KID, privateKey, all: true, timeoutMs: 5000 },
            ))
              seen.push(ev);
          } catch (e) {
            return e;
          }
        })();
        expect(err).toBeInstanceOf(CommandFailedError);
        expect((err as CommandFailedError).code).toBe('unavailable');
        expect(seen.filter((e) => e.type === 'rows')).toHaveLength(2);
      },
    );
  });
});
