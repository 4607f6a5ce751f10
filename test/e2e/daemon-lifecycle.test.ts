import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Consumer, connectConsumer, startTestPbx, type TestPbx } from '../helpers/agent-harness';
import { startAgentProcess, sleep } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { socketsOf } from '../helpers/proc-net';
import { type AmiSimulator, startAmiSimulator } from '../sim/server';

// The agent process's life as the broker and a consumer see it: birth, last will, clean stop,
// no listening socket, and running degraded when AMI and the database are away (issue 4).

const statusTopic = (pbx: TestPbx) => `${pbx.prefix}/${pbx.agentId}/status`;

/** Waits for the retained status a newly connected consumer gets, and returns its payload. */
async function retainedStatus(pbx: TestPbx, pred: (p: any) => boolean): Promise<{ payload: any; retain: boolean }> {
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

  it("SIGTERM: online:false with reason 'stopped' (retained), exit code 0", async () => {
    const birth = consumer.seen.find((s) => s.payload.online === true)!.payload;
    const r = await pbx.agent!.stop('SIGTERM', 10_000);
    expect(r).toEqual({ code: 0, signal: null });
    await consumer.waitFor(() => consumer.seen.some((s) => s.payload.online === false), 5000, 'offline status');
    const offline = consumer.seen.filter((s) => s.payload.online === false);
    // Exactly one offline message: a clean DISCONNECT must not also trigger the last will.
    await sleep(300);
    expect(offline).toHaveLength(1);
    expect(offline[0]!.payload).toEqual({ online: false, agent: pbx.agentId, boot_id: birth.boot_id, reason: 'stopped' });
    const later = await retainedStatus(pbx, (p) => p.online === false);
    expect(later).toEqual({ payload: offline[0]!.payload, retain: true });
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
    expect(established.map((s) => s.remotePort)).toEqual(expect.arrayContaining([pbx.broker.port, pbx.sim.port]));
    // The detector sees a listener when there is one: this test process runs the AMI simulator's server.
    expect(socketsOf(process.pid).some((s) => s.listening && s.localPort === pbx.sim.port)).toBe(true);
  });
});

describe('daemon: degraded, not dead', () => {
  let pbx: TestPbx;
  let consumer: Consumer;
  let lateSim: AmiSimulator | undefined;

  afterEach(async () => {
    await consumer?.close();
    await lateSim?.close();
    await pbx?.close();
  });

  it('runs with AMI and the database unreachable, says so in state/health, and recovers AMI', async () => {
    pbx = await startTestPbx({ agentId: `daemon-degr-${process.pid}-${Date.now()}` });
    consumer = await connectConsumer(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/#`);
    // Two ports nobody listens on (taken from the OS, then released).
    const [dbPort, amiPort] = await freePorts(2);
    const agent = await startAgentProcess(pbx, {
      env: {
        PBXLINK_DB_URL: `mysql://root@127.0.0.1:${dbPort}`,
        PBXLINK_AMI_URL: `ami://admin:amp111@127.0.0.1:${amiPort}`,
      },
    });
    await consumer.waitFor(() => consumer.on('/status').some((s) => s.payload.online === true), 10_000, 'birth');
    const downBoth = (s: { payload: any }) => {
      const c = s.payload.data.components;
      return c.ami?.status === 'down' && c.database?.status === 'down';
    };
    await consumer.waitFor(() => consumer.on('/state/health').some(downBoth), 15_000, 'health: ami and database down');
    const health = consumer.on('/state/health').find(downBoth)!.payload;
    expect(health).toMatchObject({ v: 1, agent: pbx.agentId, type: 'state.health' });
    expect(health.data.components.ami.reason).toEqual(expect.any(String));
    expect(health.data.components.ami.reason.length).toBeGreaterThan(0);
    expect(health.data.components.database.reason).toEqual(expect.any(String));
    expect(health.data.components.database.reason.length).toBeGreaterThan(0);
    expect(health.data.components.broker?.status).toBe('ok');
    expect(consumer.on('/state/peers')).toHaveLength(0);

    await sleep(1500);
    expect(agent.child.exitCode).toBeNull();
    // Each transition is also a log line (issue 4 part 7).
    const logged = agent.stdout.map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return {};
      }
    });
    for (const component of ['ami', 'database'])
      expect(logged.some((l) => l.component === component && l.status === 'down')).toBe(true);

    // Asterisk comes up: the agent finds it with its backoff, health turns ok, peers appear.
    lateSim = await startAmiSimulator({ dialect: '13', speed: 0, authFailDelayMs: 10, port: amiPort });
    await consumer.waitFor(
      () => consumer.on('/state/health').some((s) => s.payload.data.components.ami?.status === 'ok'),
      30_000,
      'health: ami ok',
    );
    await consumer.waitFor(() => consumer.on('/state/peers').length > 0, 10_000, 'state/peers');
    const names = consumer.on('/state/peers').at(-1)!.payload.data.peers.map((p: any) => p.name);
    expect(names).toEqual(expect.arrayContaining(lateSim.peers.map((p) => p.name)));
    const last = consumer.on('/state/health').at(-1)!.payload.data.components;
    expect(last.database.status).toBe('down');
    expect(agent.child.exitCode).toBeNull();
  }, 60_000);
});

describe('daemon: wrong credentials are reported, the process keeps running', () => {
  let pbx: TestPbx;
  let consumer: Consumer;

  afterEach(async () => {
    await consumer?.close();
    await pbx?.close();
  });

  it('a wrong AMI secret: state/health says ami down with the reason', async () => {
    pbx = await startTestPbx({ agentId: `daemon-amiauth-${process.pid}-${Date.now()}` });
    consumer = await connectConsumer(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/#`);
    const agent = await startAgentProcess(pbx, {
      env: { PBXLINK_AMI_URL: `ami://admin:not-the-secret@127.0.0.1:${pbx.sim.port}` },
    });
    await agent.waitForLine(/AMI login failed/, 10_000);
    const amiDown = (s: { payload: any }) => s.payload.data.components.ami?.status === 'down';
    await consumer.waitFor(() => consumer.on('/state/health').some(amiDown), 10_000, 'health: ami down').catch((e) => {
      const last = consumer.on('/state/health').at(-1)?.payload.data.components;
      throw new Error(`${(e as Error).message}; last health components: ${JSON.stringify(last)}`);
    });
    const comps = consumer.on('/state/health').find(amiDown)!.payload.data.components;
    expect(comps.ami.reason).toMatch(/login|auth/i);
    expect(comps.database.status).toBe('ok');
    expect(agent.child.exitCode).toBeNull();
  });

  it('a wrong broker password: it keeps retrying and logs why (not authorized)', async () => {
    pbx = await startTestPbx({
      agentId: `daemon-mqauth-${process.pid}-${Date.now()}`,
      broker: { users: { agent: 'right-password' } },
    });
    const agent = await startAgentProcess(pbx, {
      env: { PBXLINK_BROKER_USERNAME: 'agent', PBXLINK_BROKER_PASSWORD: 'wrong-password' },
    });
    const line = await agent.waitForLine(/broker unreachable/, 10_000);
    expect(JSON.parse(line).reason).toMatch(/not authori[sz]ed/i);
    await sleep(1500);
    expect(agent.child.exitCode).toBeNull();
  });
});
