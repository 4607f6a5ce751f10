import { PbxlinkError } from '../../core/errors';
import type { ActionOptions, AmiClient, AmiMessage } from './types';

/** One SIP peer as `SIPpeers` lists it (reference §3.1); header names lower-cased, values as sent. */
export type SipPeerEntry = Readonly<Record<string, string>>;

function fail(
  action: string,
  r: AmiMessage,
  code: 'not_found' | 'invalid_args' | 'unavailable' | 'internal',
): never {
  const message = r.headers.message ?? r.name;
  throw new PbxlinkError(code, `AMI ${action} failed: ${message}`, {
    details: { response: r.name, message },
  });
}

/** `Response: Error` → PbxlinkError. "Database entry not found" is the one text we must tell apart (§6.1);
 * otherwise messages change between versions (§15), so only the Error/Success split is trusted. */
function check(action: string, r: AmiMessage): AmiMessage {
  if (r.name === 'Success') return r;
  const text = (r.headers.message ?? '').toLowerCase();
  if (text.includes('not found')) fail(action, r, 'not_found');
  if (text.startsWith('no ') && text.includes('specified')) fail(action, r, 'invalid_args');
  return fail(action, r, 'internal');
}

/** AstDB family/key must be non-empty and free of CR/LF (a value must never end an action early). */
function dbArg(name: string, v: string, allowEmpty = false): string {
  if (typeof v !== 'string' || (!allowEmpty && v.length === 0) || /[\r\n]/.test(v) || v.length > 1024) {
    throw new PbxlinkError('invalid_args', `invalid AstDB ${name}`, { details: { arg: name } });
  }
  return v;
}

/** Typed helpers over an AmiClient for what the agent needs. */
export class AmiActions {
  constructor(private readonly ami: AmiClient) {}

  /** chan_sip peers (`SIPpeers`, §3.1); an empty list on PJSIP-only boxes where the action is unknown (§16). */
  async sipPeers(opts?: ActionOptions): Promise<AmiMessage[]> {
    const r = await this.ami.list('SIPpeers', {}, opts);
    return r.response.name === 'Success' ? r.events.filter((e) => e.name === 'PeerEntry') : [];
  }

  /** PJSIP endpoints (`PJSIPShowEndpoints`, §16); empty where chan_pjsip is absent (1.8/11). */
  async pjsipEndpoints(opts?: ActionOptions): Promise<AmiMessage[]> {
    const r = await this.ami.list('PJSIPShowEndpoints', {}, opts);
    return r.response.name === 'Success' ? r.events.filter((e) => e.name === 'EndpointList') : [];
  }

  /** Live channels (`CoreShowChannels`, §4): header spellings differ per version (§14 trap 2). */
  async coreShowChannels(opts?: ActionOptions): Promise<AmiMessage[]> {
    const r = await this.ami.list('CoreShowChannels', {}, opts);
    check('CoreShowChannels', r.response);
    return r.events.filter((e) => e.name === 'CoreShowChannel');
  }

  /** `CoreSettings` (§1.6): AsteriskVersion, AMIversion, SystemName … lower-cased. */
  async coreSettings(opts?: ActionOptions): Promise<Readonly<Record<string, string>>> {
    return check('CoreSettings', await this.ami.action('CoreSettings', {}, opts)).headers;
  }

  /** One AstDB value, or undefined when the key does not exist. Both DBGet dialects (§6.1). */
  async dbGet(family: string, key: string, opts?: ActionOptions): Promise<string | undefined> {
    const r = await this.ami.list('DBGet', { Family: dbArg('family', family), Key: dbArg('key', key) }, opts);
    if (r.response.name !== 'Success') {
      if ((r.response.headers.message ?? '').toLowerCase().includes('not found')) return undefined;
      check('DBGet', r.response);
    }
    return r.events.find((e) => e.name === 'DBGetResponse')?.headers.val;
  }

  /** Writes one AstDB value (`DBPut`). */
  async dbPut(family: string, key: string, value: string, opts?: ActionOptions): Promise<void> {
    const args = {
      Family: dbArg('family', family),
      Key: dbArg('key', key),
      Val: dbArg('value', value, true),
    };
    check('DBPut', await this.ami.action('DBPut', args, opts));
  }

  /**
   * Deletes one AstDB key; resolves true if it existed. §6.1 trap: 1.8 reports a missing key as an Error, 10+
   * (SQLite) reports Success even when nothing was deleted — so existence is checked with DBGet first.
   */
  async dbDel(family: string, key: string, opts?: ActionOptions): Promise<boolean> {
    const existed = (await this.dbGet(family, key, opts)) !== undefined;
    const r = await this.ami.action(
      'DBDel',
      { Family: dbArg('family', family), Key: dbArg('key', key) },
      opts,
    );
    if (r.name !== 'Success' && !(r.headers.message ?? '').toLowerCase().includes('not found'))
      check('DBDel', r);
    return existed;
  }

  /** Deletes a family (or a sub-tree with `key`); resolves false when nothing matched (§6.1: Error "not found"). */
  async dbDelTree(family: string, key?: string, opts?: ActionOptions): Promise<boolean> {
    const args: Record<string, string> = { Family: dbArg('family', family) };
    if (key !== undefined) args.Key = dbArg('key', key);
    const r = await this.ami.action('DBDelTree', args, opts);
    if (r.name === 'Success') return true;
    if ((r.headers.message ?? '').toLowerCase().includes('not found')) return false;
    check('DBDelTree', r);
    return false;
  }

  /** Round-trip time of one `Ping` in ms (§1.4: `Ping: Pong`, no Message). */
  async ping(opts?: ActionOptions): Promise<number> {
    const t0 = performance.now();
    check('Ping', await this.ami.action('Ping', {}, opts));
    return performance.now() - t0;
  }
}
