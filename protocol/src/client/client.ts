import type { MqttClient } from 'mqtt';
import { type AgentOrAll, DEFAULT_TOPIC_PREFIX, validateTopicPrefix } from '../topics';
import { type BrokerOptions, connectBroker } from './connect';
import { type CommandReplies, type SendOptions, sendCommand } from './send';
import { type TailSubscription, type TailWhat, tail } from './tail';

/** Options of a consumer: the broker, and the topic prefix its agents use. */
export interface ClientOptions extends BrokerOptions {
  /** Topic prefix (default `pbxlink/v1`). */
  prefix?: string;
}

/** The consumer side of pbxlink over one broker connection: send signed commands, follow what agents publish. */
export class PbxlinkClient {
  constructor(
    /** The underlying mqtt.js client (connected). */
    readonly mqtt: MqttClient,
    readonly prefix: string = DEFAULT_TOPIC_PREFIX,
  ) {}

  /** Connects to the broker (MQTT 5 unless told otherwise) and returns a client. */
  static async connect(opts: ClientOptions): Promise<PbxlinkClient> {
    const prefix = validateTopicPrefix(opts.prefix ?? DEFAULT_TOPIC_PREFIX);
    return new PbxlinkClient(await connectBroker(opts), prefix);
  }

  /** Signs and publishes `cmd` to `agent`; iterate the result for its replies (see send.ts). */
  sendCommand(
    agent: string,
    cmd: string,
    args: Record<string, unknown>,
    opts: Omit<SendOptions, 'prefix'> & { prefix?: string },
  ): Promise<CommandReplies> {
    return sendCommand(this.mqtt, agent, cmd, args, { prefix: this.prefix, ...opts });
  }

  /** Follows `what` of `agent` (or of every agent with `+`). */
  tail(agent: AgentOrAll, what: TailWhat = 'all'): Promise<TailSubscription> {
    return tail(this.mqtt, agent, what, { prefix: this.prefix });
  }

  /** Disconnects cleanly (waits for in-flight QoS 1 publishes). */
  async close(): Promise<void> {
    await this.mqtt.endAsync();
  }
}
