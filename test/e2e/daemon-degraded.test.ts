import { type AddressInfo, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Consumer, connectConsumer, startTestPbx, type TestPbx } from '../helpers/agent-harness';
import { sleep, startAgentProcess, writeAgentConfig } from '../helpers/daemon';
import { freePorts } from '../helpers/ports';
import { type AmiSimulator, startAmiSimulator } from '../sim/server';

// Degraded, not dead (issue 4 part 7): with AMI or the database away, hung, or refusing the login, the
// agent keeps running and its link up, says so in state/health (status and reason), and recovers.

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
    await consumer.waitFor(
      () => consumer.on('/status').some((s) => s.payload.online === true),
      10_000,
      'birth',
    );
    // Born before Asterisk answered: the birth knows nothing of the PBX yet (and makes nothing up).
    expect(consumer.on('/status').find((s) => s.payload.online === true)!.payload.pbx).toEqual({
      dialect: null,
      asterisk_version: null,
      ami_version: null,
      chan_sip: null,
      pjsip: null,
    });
    const downBoth = (s: { payload: any }) => {
      const c = s.payload.data.components;
      return c.ami?.status === 'down' && c.database?.status === 'down';
    };
    await consumer.waitFor(
      () => consumer.on('/state/health').some(downBoth),
      15_000,
      'health: ami and database down',
    );
    const health = consumer.on('/state/health').find(downBoth)!.payload;
    expect(health).toMatchObject({ v: 1, agent: pbx.agentId, type: 'state.health' });
    expect(health.data.components.ami.reason).toEqual(expect.any(String));
    expect(health.data.components.ami.reason.length).toBeGreaterThan(0);
    expect(health.data.components.database.reason).toEqual(expect.any(String));
    expect(health.data.components.database.reason.length).toBeGreaterThan(0);
    expect(health.data.components.broker?.status).toBe('ok');
    // Without Asterisk it knows no peer: nothing is made up.
    expect(consumer.on('/state/peers').every((s) => s.payload.data.peers.length === 0)).toBe(true);

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
    await consumer.waitFor(
      () => consumer.on('/state/peers').at(-1)?.payload.data.peers.length === lateSim!.peers.length,
      10_000,
      'state/peers with every peer',
    );
    // ...and the retained birth is published again with what AMI told: a consumer joining now reads it.
    await consumer.waitFor(
      () => consumer.on('/status').at(-1)?.payload.pbx?.dialect === '13',
      10_000,
      'birth again with the PBX dialect',
    );
    const births = consumer.on('/status').filter((s) => s.payload.online === true);
    expect(births.at(-1)!.payload).toMatchObject({
      online: true,
      boot_id: births[0]!.payload.boot_id,
      pbx: {
        dialect: '13',
        asterisk_version: expect.stringMatching(/^13\./),
        ami_version: expect.any(String),
      },
    });
    const late = await connectConsumer(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/status`);
    try {
      await late.waitFor(() => late.on('/status').length > 0, 5_000, 'retained status');
      expect(late.on('/status')[0]!.payload.pbx.dialect).toBe('13');
    } finally {
      await late.close();
    }
    const names = consumer
      .on('/state/peers')
      .at(-1)!
      .payload.data.peers.map((p: any) => p.name);
    expect(names).toEqual(expect.arrayContaining(lateSim.peers.map((p) => p.name)));
    const last = consumer.on('/state/health').at(-1)!.payload.data.components;
    expect(last.database.status).toBe('down');
    expect(agent.child.exitCode).toBeNull();
  }, 60_000);

  it('a hung Asterisk (socket open, no answers) is detected by the AMI Ping, reported, and recovered', async () => {
    pbx = await startTestPbx({ agentId: `daemon-stall-${process.pid}-${Date.now()}` });
    consumer = await connectConsumer(pbx.broker.url, `${pbx.prefix}/${pbx.agentId}/#`);
    const config = writeAgentConfig(pbx, 'fast-ping', { ami: { ping_interval_s: 1 } });
    const agent = await startAgentProcess(pbx, { config });
    const ami = (s: { payload: any }) => s.payload.data.components.ami?.status as string | undefined;
    await consumer.waitFor(
      () => consumer.on('/state/health').some((s) => ami(s) === 'ok'),
      15_000,
      'health: ami ok',
    );

    pbx.sim.setStalled(true);
    const from = consumer.on('/state/health').length;
    await consumer.waitFor(
      () =>
        consumer
          .on('/state/health')
          .slice(from)
          .some((s) => ami(s) === 'down'),
      20_000,
      'health: ami down while Asterisk hangs',
    );
    const down = consumer
      .on('/state/health')
      .slice(from)
      .find((s) => ami(s) === 'down')!.payload.data.components.ami;
    expect(down.reason).toEqual(expect.any(String));
    expect(agent.child.exitCode).toBeNull();

    pbx.sim.setStalled(false);
    const back = consumer.on('/state/health').length;
    await consumer.waitFor(
      () =>
        consumer
          .on('/state/health')
          .slice(back)
          .some((s) => ami(s) === 'ok'),
      30_000,
      'health: ami ok once Asterisk answers again',
    );
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
    await consumer
      .waitFor(() => consumer.on('/state/health').some(amiDown), 10_000, 'health: ami down')
      .catch((e) => {
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

/** A TCP server on 127.0.0.1 that accepts and at once closes every connection, noting when each came. */
async function slammingServer(): Promise<{ port: number; at: number[]; close(): Promise<void> }> {
  const at: number[] = [];
  const server = createServer((sock) => {
    at.push(Date.now());
    sock.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { port, at, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('daemon: reconnects with exponential backoff, not at a fixed period', () => {
  let pbx: TestPbx;
  const servers: Array<{ close(): Promise<void> }> = [];

  afterEach(async () => {
    await pbx?.close();
    for (const s of servers.splice(0)) await s.close();
  });

  it('a broker and an AMI port that drop every connection are retried ever more slowly', async () => {
    pbx = await startTestPbx({ agentId: `daemon-backoff-${process.pid}-${Date.now()}` });
    const broker = await slammingServer();
    const ami = await slammingServer();
    servers.push(broker, ami);
    await startAgentProcess(pbx, {
      env: {
        PBXLINK_BROKER_URL: `mqtt://127.0.0.1:${broker.port}`,
        PBXLINK_AMI_URL: `ami://admin:amp111@127.0.0.1:${ami.port}`,
      },
    });
    await sleep(13_000);
    // Attempts within `ms` of the first one.
    const within = (list: number[], ms: number) => list.filter((t) => t - list[0]! <= ms).length;
    const t0 = Math.min(broker.at[0]!, ami.at[0]!);
    // Defaults: broker 1 s doubling to 60 s, AMI 0.5 s doubling to 30 s, full jitter. The lower bounds hold
    // whatever the jitter (each delay is at most its ceiling); a fixed 1 s period would exceed the upper ones.
    const b = within(broker.at, 12_000);
    const a = within(ami.at, 10_000);
    expect(b, `broker attempts at ${broker.at.map((t) => t - t0).join(', ')} ms`).toBeGreaterThanOrEqual(4);
    expect(b, `broker attempts at ${broker.at.map((t) => t - t0).join(', ')} ms`).toBeLessThanOrEqual(9);
    expect(a, `AMI attempts at ${ami.at.map((t) => t - t0).join(', ')} ms`).toBeGreaterThanOrEqual(5);
    expect(a, `AMI attempts at ${ami.at.map((t) => t - t0).join(', ')} ms`).toBeLessThanOrEqual(8);
    expect(pbx.agent!.child.exitCode).toBeNull();
  }, 40_000);
});
