import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PbxlinkClient } from '../../protocol/src/client/client';
import { type Consumer, connectConsumer, startTestPbx, type TestPbx } from '../helpers/agent-harness';
import { sleep, startAgentProcess } from '../helpers/daemon';
import { socketsOf } from '../helpers/proc-net';
import { spawnProcess } from '../helpers/process';

// The agent process's life as the broker and a consumer see it: birth, last will, clean stop,
// and no listening socket (issue 4).

const statusTopic = (pbx: TestPbx) => `${pbx.prefix}/${pbx.agentId}/status`;

/** Waits for the retained status a newly connected consumer gets, and returns its payload. */
async function retainedStatus(
  pbx: TestPbx,
  pred: (p: any) => boolean,
): Promise<{ payload: any; retain: boolean }> {
  const fresh = await connectConsumer(pbx.broker.url, statusTopic(pbx));
  try {
    await fresh.waitFor(() => fresh.seen.some((s) => pred(s.payload)), 5000, 'retained status');
    const s = fresh.seen.find((x) => pred(x.payload))!;
    return { payload: s.payload, retain: s.retain };
  } finally {
    await fresh.close();
  }
}

describe('daemon: last will and clean stop on P/A/status', () => {
  let pbx: TestPbx;
  let consumer: Consumer;

  beforeEach(async () => {
    pbx = await startTestPbx({ agentId: `daemon-life-${process.pid}-${Date.now()}` });
    consumer = await connectConsumer(pbx.broker.url, statusTopic(pbx));
    await startAgentProcess(pbx);
    await consumer.waitFor(() => consumer.seen.some((s) => s.payload.online === true), 10_000, 'birth');
  });

  afterEach(async () => {
    await consumer?.close();
    await pbx?.close();
  });

  it('SIGKILL: the broker publishes the retained last will with the agent boot_id', async () => {
    const birth = consumer.seen.find((s) => s.payload.online === true)!.payload;
    expect(birth.agent).toBe(pbx.agentId);
    expect(typeof birth.boot_id).toBe('string');
    const r = await pbx.agent!.stop('SIGKILL', 1000);
    expect(r.signal).toBe('SIGKILL');
    await consumer.waitFor(() => consumer.seen.some((s) => s.payload.online === false), 10_000, 'last will');
    const will = consumer.seen.find((s) => s.payload.online === false)!.payload;
    expect(will).toMatchObject({ online: false, agent: pbx.agentId, boot_id: birth.boot_id });
    expect(will.reason).not.toBe('stopped');
    // A consumer connecting later still learns the agent is offline: the will is retained.
    const later = await retainedStatus(pbx, (p) => p.online === false);
    expect(later.retain).toBe(true);
    expect(later.payload).toEqual(will);
  });

  it('a second agent on the same state dir refuses to start; the first keeps its session', async () => {
    const second = spawnProcess(process.execPath, ['dist/pbxlink.js', 'run'], {
      env: { ...process.env, ...pbx.env },
    });
    const t = setTimeout(() => second.child.kill('SIGKILL'), 15_000);
    const r = await second.exited;
    clearTimeout(t);
    expect(r.signal).toBeNull();
    expect(r.code).not.toBe(0);
    // One clear line naming the running agent.
    const line = second.stderr.find((l) => l.startsWith('pbxlink:'));
    expect(line, second.stderr.join('\n')).toMatch(
      new RegExp(`another pbxlink \\(pid ${pbx.agent!.child.pid}\\)`),
    );
    // Two clients with one id would evict each other: the first agent stays online, no will was sent.
    await sleep(1000);
    expect(consumer.seen.filter((s) => s.payload.online === false)).toEqual([]);
    expect(pbx.agent!.child.exitCode).toBeNull();
  });

  it('a command sent while the agent is stopped waits at the broker and is answered after its restart', async () => {
    expect(await pbx.agent!.stop('SIGTERM', 10_000)).toEqual({ code: 0, signal: null });
    const client = await PbxlinkClient.connect({ url: pbx.broker.url });
    try {
      const replies = await client.sendCommand(
        pbx.agentId,
        'agent.info',
        {},
        { kid: pbx.key.kid, privateKey: pbx.key.privateKey, timeoutMs: 20_000 },
      );
      await sleep(500);
      await startAgentProcess(pbx);
      const got = [];
      for await (const r of replies) got.push(r);
      expect(got.at(-1)).toMatchObject({ ok: true, id: replies.jti });
      expect(JSON.stringify(got)).toContain(pbx.agentId);
    } finally {
      await client.close();
    }
  });

  it("SIGTERM: online:false with reason 'stopped' (retained), exit code 0", async () => {
    const birth = consumer.seen.find((s) => s.payload.online === true)!.payload;
    const r = await pbx.agent!.stop('SIGTERM', 10_000);
    expect(r).toEqual({ code: 0, signal: null });
    await consumer.waitFor(
      () => consumer.seen.some((s) => s.payload.online === false),
      5000,
      'offline status',
    );
    const offline = consumer.seen.filter((s) => s.payload.online === false);
    // Exactly one offline message: a clean DISCONNECT must not also trigger the last will.
    await sleep(300);
    expect(offline).toHaveLength(1);
    expect(offline[0]!.payload).toEqual({
      online: false,
      agent: pbx.agentId,
      boot_id: birth.boot_id,
      reason: 'stopped',
    });
    const later = await retainedStatus(pbx, (p) => p.online === false);
    expect(later).toEqual({ payload: offline[0]!.payload, retain: true });
  });

  it("Ctrl-C, then a wrapper's SIGTERM while it stops: one clean stop, exit code 0", async () => {
    const agent = pbx.agent!;
    // what a terminal's Ctrl-C and then the demo (or any wrapper) do to the agent
    agent.child.kill('SIGINT');
    await agent.waitForLine(/stopping/, 5000);
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toEqual({ code: 0, signal: null });
    await consumer.waitFor(() => consumer.seen.some((s) => s.payload.online === false), 5000, 'offline');
    await sleep(300);
    const offline = consumer.seen.filter((s) => s.payload.online === false);
    expect(offline.map((s) => s.payload.reason)).toEqual(['stopped']); // one offline status: no last will after it
  });
});

describe('daemon: listens on no socket', () => {
  let pbx: TestPbx;
  let consumer: Consumer;

  afterEach(async () => {
    await consumer?.close();
    await pbx?.close();
  });

  it('none of its socket inodes is listening; it has outbound TCP to the broker and AMI', async () => {
    pbx = await startTestPbx({ agentId: `daemon-sock-${process.pid}-${Date.now()}` });
    consumer = await connectConsumer(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/#`);
    const agent = await startAgentProcess(pbx);
    await consumer.waitFor(
      () => consumer.on('/state/health').some((s) => s.payload.data.components.ami?.status === 'ok'),
      15_000,
      'health with AMI ok',
    );
    await consumer.waitFor(() => consumer.on('/state/peers').length > 0, 10_000, 'state/peers');
    const pid = agent.child.pid!;
    const mine = socketsOf(pid);
    const listening = mine.filter((s) => s.listening);
    expect(listening, `listening sockets of the agent: ${JSON.stringify(listening)}`).toEqual([]);
    // Not vacuous: the agent's sockets are found in the tables, among them the two outbound links.
    const established = mine.filter((s) => s.table.startsWith('tcp') && s.state === '01');
    expect(established.map((s) => s.remotePort)).toEqual(
      expect.arrayContaining([pbx.broker.port, pbx.sim.port]),
    );
    // The detector sees a listener when there is one: this test process runs the AMI simulator's server.
    expect(socketsOf(process.pid).some((s) => s.listening && s.localPort === pbx.sim.port)).toBe(true);
  });
});
