import { type FirewallData, type FirewallSources, readFirewall } from './firewall';
import { PolledCollector, type PollOptions } from './polled-collector';

/** state/firewall: iptables chains, policies and rule counts (seed getiptablesstatus), every 5 min by default.
 * Every field counts: any change in availability, reason, a policy or a rule count republishes. */
export class FirewallCollector extends PolledCollector<FirewallData, string> {
  readonly name = 'firewall';

  constructor(
    private readonly sources: FirewallSources,
    opts: PollOptions = {},
  ) {
    super('firewall', '30 */5 * * * *', opts);
  }

  collect(): Promise<FirewallData> {
    return readFirewall(this.sources);
  }

  protected view(d: FirewallData): string {
    return JSON.stringify(d);
  }

  protected changed(a: string, b: string): boolean {
    return a !== b;
  }
}
