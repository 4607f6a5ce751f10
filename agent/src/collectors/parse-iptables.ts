/** One chain as the firewall snapshot lists it (state.firewall `chains`). */
export interface ChainInfo {
  table: string;
  name: string;
  /** Policy of a built-in chain (ACCEPT, DROP); null for user chains. */
  policy: string | null;
  /** Number of rules in the chain. */
  rules: number;
}

/** The schema's bound on listed chains (protocol FirewallState). */
export const MAX_CHAINS = 1000;

/** Parses `iptables-save` output: `*table`, `:CHAIN POLICY [p:b]`, `-A CHAIN …`, `COMMIT`; comments skipped. */
export function parseIptablesSave(text: string): ChainInfo[] {
  const chains = new Map<string, ChainInfo>();
  let table: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = line.slice(1).trim() || null;
      continue;
    }
    if (line === 'COMMIT') {
      table = null;
      continue;
    }
    if (table === null) continue;
    if (line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(/\s+/);
      if (name) addChain(chains, table, name, policy && policy !== '-' ? policy : null);
    } else if (line.startsWith('-A ')) {
      const name = line.split(/\s+/)[1];
      if (name) countRule(chains, table, name);
    }
  }
  return [...chains.values()];
}

/** Parses `iptables [-t table] -S` output: `-P CHAIN POLICY`, `-N CHAIN`, `-A CHAIN …`. */
export function parseIptablesRules(text: string, table = 'filter'): ChainInfo[] {
  const chains = new Map<string, ChainInfo>();
  for (const raw of text.split('\n')) {
    const [flag, name, policy] = raw.trim().split(/\s+/);
    if (!name) continue;
    if (flag === '-P') addChain(chains, table, name, policy ?? null);
    else if (flag === '-N') addChain(chains, table, name, null);
    else if (flag === '-A') countRule(chains, table, name);
  }
  return [...chains.values()];
}

/** Parses `iptables [-t table] -L -n` output: "Chain NAME (policy X)" / "Chain NAME (N references)", a column header, rules. */
export function parseIptablesList(text: string, table = 'filter'): ChainInfo[] {
  const chains = new Map<string, ChainInfo>();
  let current: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const head = /^Chain\s+(\S+)\s+\((?:policy\s+([^\s)]+)|.*)/.exec(line);
    if (head?.[1]) {
      current = head[1];
      addChain(chains, table, current, head[2] ?? null);
      continue;
    }
    if (line === '') {
      current = null;
      continue;
    }
    if (current === null || /^(target|pkts)\s/.test(line)) continue;
    countRule(chains, table, current);
  }
  return [...chains.values()];
}

/** True when the firewall does something: a rule anywhere, or a built-in chain whose policy is not ACCEPT. */
export function isFirewallActive(chains: readonly ChainInfo[]): boolean {
  return chains.some((c) => c.rules > 0 || (c.policy !== null && c.policy !== 'ACCEPT'));
}

function addChain(chains: Map<string, ChainInfo>, table: string, name: string, policy: string | null): void {
  const key = `${table}\u0000${name}`;
  const existing = chains.get(key);
  if (existing) {
    if (policy !== null) existing.policy = policy;
    return;
  }
  if (chains.size >= MAX_CHAINS) return;
  chains.set(key, { table, name, policy, rules: 0 });
}

function countRule(chains: Map<string, ChainInfo>, table: string, name: string): void {
  addChain(chains, table, name, null);
  const c = chains.get(`${table}\u0000${name}`);
  if (c) c.rules++;
}
