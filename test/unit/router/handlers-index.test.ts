/** buildCommandHandlers: every handler of the agent, each matching its wire contract (name, scope, args schema). */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createCollectorSources } from '../../../agent/src/collectors/sources';
import { buildCommandHandlers } from '../../../agent/src/commands/index';
import { Bus } from '../../../agent/src/core/bus';
import { systemClock } from '../../../agent/src/core/clock';
import type { AgentEvents } from '../../../agent/src/core/module';
import { AmiActions } from '../../../agent/src/pbx/ami/actions';
import { AmiTcpClient } from '../../../agent/src/pbx/ami/client';
import { ConfigApplier } from '../../../agent/src/pbx/freepbx/apply-config';
import { AstDbWriter } from '../../../agent/src/pbx/freepbx/astdb';
import { ConfigChanger } from '../../../agent/src/pbx/freepbx/config-changer';
import { FreepbxDb } from '../../../agent/src/pbx/freepbx/db';
import { KeyedMutex } from '../../../agent/src/pbx/freepbx/keyed-mutex';
import { COMMANDS, findCommand } from '../../../protocol/src/schemas/registry';
import { validate } from '../../../protocol/src/schemas/validate';

const log = pino({ level: 'silent' });

/** Every dependency built for real, nothing connected (constructors only store what they are given). */
function fullDeps() {
  const ami = new AmiTcpClient({
    host: '127.0.0.1',
    port: 1,
    username: 'u',
    secret: 's',
    clock: systemClock,
    log,
  });
  const db = new FreepbxDb({ host: '127.0.0.1', port: 1, user: 'u', log });
  const actions = new AmiActions(ami);
  const changer = new ConfigChanger({
    db,
    configDb: 'asterisk',
    astdb: new AstDbWriter(actions, ami, log),
    applier: new ConfigApplier({ db, configDb: 'asterisk', argv: ['/bin/true'] }),
    mutex: new KeyedMutex(),
  });
  return {
    info: { agentId: 'pbx-1', version: '1', bootId: 'b', startedAt: 0, ami },
    refresh: { bus: new Bus<AgentEvents>(), snapshots: () => [] },
    peers: { list: () => [] },
    calls: { listFresh: async () => [] },
    sources: createCollectorSources({ monitorDir: '/nonexistent' }),
    cdr: { db, cdrDb: 'asteriskcdrdb', cdrTable: 'cdr', maxRows: 100 },
    recordings: { root: '/nonexistent', blobTopic: (id: string) => `p/a/blob/${id}` },
    extensions: { db, configDb: 'asterisk', changer },
    followme: { db, configDb: 'asterisk', changer, actions },
  };
}

describe('buildCommandHandlers', () => {
  it('with every dependency, serves every command of the wire contract, each with its contract scope', () => {
    const handlers = buildCommandHandlers(fullDeps());
    expect(handlers.map((h) => h.name).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
    for (const h of handlers) expect([h.name, h.scope]).toEqual([h.name, findCommand(h.name)!.scope]);
  });

  it('every handler declares the args schema of its contract (the router validates with the registry)', () => {
    for (const h of buildCommandHandlers(fullDeps()))
      expect([h.name, JSON.stringify(h.args)]).toEqual([h.name, JSON.stringify(findCommand(h.name)!.args)]);
  });

  it('every handler accepts the example args of its contract', () => {
    for (const h of buildCommandHandlers(fullDeps())) {
      const example = findCommand(h.name)!.example.args;
      expect([h.name, validate(h.args, example).ok]).toEqual([h.name, true]);
    }
  });

  it('without database or host sources, serves the commands that need neither', () => {
    const { info, refresh, peers, calls } = fullDeps();
    const names = buildCommandHandlers({ info, refresh, peers, calls }).map((h) => h.name);
    expect(names).toEqual(['agent.info', 'agent.refresh', 'peers.list', 'calls.list']);
  });

  it('agent.info capabilities are the names built', async () => {
    const handlers = buildCommandHandlers(fullDeps());
    const info = handlers.find((h) => h.name === 'agent.info')!;
    const ctx = { caller: { kid: 'k', scopes: ['read'] } } as unknown as Parameters<typeof info.handle>[1];
    const r = (await info.handle({}, ctx)) as { capabilities: string[] };
    expect(r.capabilities).toEqual(handlers.map((h) => h.name));
  });

  it('refuses two handlers for one command', () => {
    const deps = fullDeps();
    const dup = buildCommandHandlers(deps).find((h) => h.name === 'peers.list')!;
    expect(() => buildCommandHandlers({ ...deps, extra: [dup] })).toThrow(
      /two handlers for command peers.list/,
    );
  });
});
