import { describe, expect, it } from 'vitest';
import { AmiFramer, type FramerOptions } from '../../../agent/src/pbx/ami/framer';
import type { AmiMessage } from '../../../agent/src/pbx/ami/types';
import * as T from '../../fixtures/ami/transcripts';

/** Frames `input` pushed in one piece; returns messages, greetings and errors. */
function frame(input: Buffer | string, opts: FramerOptions = {}) {
  const messages: AmiMessage[] = [];
  const greetings: string[] = [];
  const errors: Error[] = [];
  const f = new AmiFramer(
    { message: (m) => messages.push(m), greeting: (v) => greetings.push(v), error: (e) => errors.push(e) },
    opts,
  );
  f.push(typeof input === 'string' ? Buffer.from(input) : input);
  f.end();
  return { messages, greetings, errors, framer: f };
}

const SIP_SHOW_PEERS = [
  'Name/username             Host                                    Dyn Forcerport Comedia    ACL Port     Status      Description                      ',
  '100/100                   192.168.1.50                             D  Yes        Yes         A  5060     OK (12 ms)                                   ',
  '101                       (Unspecified)                            D  Yes        Yes         A  0        UNKNOWN                                      ',
  '2 sip peers [Monitored: 1 online, 1 offline Unmonitored: 0 online, 0 offline]',
];

describe('AmiFramer on reference transcripts', () => {
  it('Appendix A.1 (Asterisk 11): greeting, login, FullyBooted, Ping, Follows command, DBGet, Goodbye', () => {
    const { messages, greetings, errors } = frame(T.A1_ASTERISK_11);
    expect(errors).toEqual([]);
    expect(greetings).toEqual(['1.3']);
    expect(messages.map((m) => `${m.kind}:${m.name}`)).toEqual([
      'response:Success',
      'event:FullyBooted',
      'response:Success',
      'response:Follows',
      'response:Success',
      'event:DBGetResponse',
      'event:DBGetComplete',
      'response:Goodbye',
    ]);
    expect(messages[0]?.headers).toEqual({
      response: 'Success',
      actionid: 'L1',
      message: 'Authentication accepted',
    });
    expect(messages[2]?.headers).toMatchObject({
      ping: 'Pong',
      timestamp: '1700000000.123456',
      actionid: 'P1',
    });
    const cmd = messages[3];
    expect(cmd?.headers).toEqual({ response: 'Follows', privilege: 'Command', actionid: 'C1' });
    expect(cmd?.output).toEqual(SIP_SHOW_PEERS);
    expect(messages[5]?.headers).toEqual({
      event: 'DBGetResponse',
      family: 'AMPUSER',
      key: '100/cidname',
      val: 'Alice',
      actionid: 'D1',
    });
  });

  it.each([
    ['A.2 DBGet 13.2+', T.A2_DBGET_13, ['response:Success', 'event:DBGetResponse', 'event:DBGetComplete']],
    [
      '§3.1 SIPpeers 11',
      T.S31_SIPPEERS_11,
      ['response:Success', 'event:PeerEntry', 'event:PeerEntry', 'event:PeerlistComplete'],
    ],
    [
      '§15 missing closing blank line',
      T.S15_MISSING_BLANK,
      ['event:Newstate', 'event:Hangup', 'response:Success'],
    ],
    ['§15 \\r\\n\\n endings', T.S15_CRLF_LF, ['event:EndpointList', 'event:EndpointListComplete']],
    ['§15 event with no field but Event:', T.S15_ONLY_EVENT, ['event:CoreShowChannelsComplete']],
    ['§3.2 stray empty line after a message', T.S32_NOT_FOUND_EXTRA, ['response:Error']],
  ])('%s', (_name, input, expected) => {
    const { messages, errors } = frame(input);
    expect(errors).toEqual([]);
    expect(messages.map((m) => `${m.kind}:${m.name}`)).toEqual(expected);
  });

  it('§3.1 keeps the ActionID wherever it comes and the trailing space of an empty Description', () => {
    const { messages } = frame(T.S31_SIPPEERS_11);
    expect(messages[1]?.headers).toMatchObject({
      actionid: 'p1',
      objectname: '100',
      status: 'OK (12 ms)',
      description: '',
    });
    expect(messages[3]?.headers).toEqual({
      event: 'PeerlistComplete',
      eventlist: 'Complete',
      listitems: '2',
      actionid: 'p1',
    });
    expect(messages[0]?.headers.eventlist).toBe('start');
  });

  it('§15 missing blank line: each message keeps only its own headers', () => {
    const { messages } = frame(T.S15_MISSING_BLANK);
    expect(messages[0]?.headers).toEqual({
      event: 'Newstate',
      privilege: 'call,all',
      channel: 'SIP/100-00000001',
    });
    expect(messages[1]?.headers).toEqual({
      event: 'Hangup',
      privilege: 'call,all',
      channel: 'SIP/100-00000001',
      cause: '16',
    });
  });

  it('§2.2 / A.3: 14+ Output lines are collected in order with their leading blanks', () => {
    const { messages } = frame(T.A3_COMMAND_OUTPUT);
    expect(messages[0]?.output).toEqual([
      'Name/username             Host',
      '  indented line',
      '2 sip peers [Monitored: 1 online, 1 offline Unmonitored: 0 online, 0 offline]',
    ]);
    expect(messages[0]?.headers.message).toBe('Command output follows');
    expect(frame(T.S22_OUTPUT_EMPTY).messages[0]?.output).toEqual(['']);
  });

  it('§2.1 / §15: Follows body with an empty line after ActionID and empty lines inside', () => {
    const { messages } = frame(T.S15_FOLLOWS_BLANKS + T.msg('Event: After'));
    expect(messages[0]?.headers).toEqual({ response: 'Follows', privilege: 'Command', actionid: 'H1' });
    expect(messages[0]?.output).toEqual([
      'HTTP Server Status:',
      'Prefix: ',
      'Server: Asterisk',
      '',
      "Enabled URI's:",
      '/httpstatus => Asterisk HTTP General Status',
    ]);
    expect(messages[1]?.name).toBe('After');
  });

  it('§2.1: a marker glued to the last line, and an empty output', () => {
    expect(frame(T.S21_FOLLOWS_GLUED).messages[0]?.output).toEqual(['Value: Alice']);
    const empty = frame(T.S21_FOLLOWS_EMPTY).messages[0];
    expect(empty?.headers.actionid).toBe('E1');
    expect(empty?.output).toEqual([]);
  });

  it('§2.1: A.4 Follows without ActionID (FreePBX writing AstDB)', () => {
    const { messages } = frame(
      'Response: Follows\r\nPrivilege: Command\r\nUpdated database successfully\n--END COMMAND--\r\n\r\n',
    );
    expect(messages[0]?.output).toEqual(['Updated database successfully']);
    expect(messages[0]?.headers.actionid).toBeUndefined();
  });

  it('§15: empty values with or without the space, values with colons, trailing spaces, bare LF', () => {
    const { messages } = frame(T.S15_VALUES);
    expect(messages[0]?.headers).toEqual({
      event: 'Newchannel',
      accountcode: '',
      language: '',
      exten: 's',
      value: 'sip:100@192.168.1.50:5060;transport=udp',
      description: 'padded   ',
    });
    expect(messages[1]?.headers).toEqual({ event: 'Bare', key: 'lf only' });
  });

  it('§1: names are lower-cased, the first occurrence wins (even empty), repeats are kept in order', () => {
    const m = frame(T.S1_REPEATED).messages[0];
    expect(m?.headers.uniqueid).toBe('1700000000.4');
    expect(m?.headers.chanvariable).toBe('FROM_DID=5551234');
    expect(m?.headers.linkedid).toBe('');
    expect(m?.repeated).toEqual({
      chanvariable: ['FROM_DID=5551234', 'MIXMON_ID='],
      linkedid: ['', '1700000000.4'],
    });
  });

  it('§15: bytes that are not UTF-8 become U+FFFD and never throw; valid UTF-8 is kept', () => {
    const { messages, errors } = frame(
      Buffer.concat([T.S15_BAD_UTF8, Buffer.from(T.msg('Event: Ok', 'CallerIDName: José 张伟'))]),
    );
    expect(errors).toEqual([]);
    expect(messages[0]?.headers.calleridname).toBe('Jos\uFFFD ');
    expect(messages[0]?.headers.connectedlinename).toContain('\uFFFD');
    expect(messages[0]?.headers.exten).toBe('100');
    expect(messages[1]?.headers.calleridname).toBe('José 张伟');
  });

  it('a stream that ends without the closing empty line still delivers the last message (§15)', () => {
    const { messages } = frame('Event: Hangup\r\nCause: 16');
    expect(messages[0]?.headers).toEqual({ event: 'Hangup', cause: '16' });
  });

  it('a hostile __proto__ header does not touch the prototype', () => {
    const m = frame(T.msg('Event: X', '__proto__: polluted', 'constructor: c')).messages[0];
    expect(Object.getPrototypeOf(m?.headers)).toBe(Object.prototype);
    expect(m?.headers.___proto__).toBe('polluted');
    expect(m?.headers._constructor).toBe('c');
  });

  it('very long values inside the cap are kept whole', () => {
    const long = 'x'.repeat(300_000);
    const m = frame(T.msg('Event: UserEvent', `Body: ${long}`, 'Tail: 1')).messages[0];
    expect(m?.headers.body).toBe(long);
    expect(m?.headers.tail).toBe('1');
  });
});

describe('AmiFramer bounded buffer', () => {
  it('a message past the cap is dropped with one error; the next message is read', () => {
    const big = T.msg('Event: Big', ...Array.from({ length: 200 }, (_, i) => `H${i}: ${'v'.repeat(100)}`));
    const { messages, errors } = frame(big + T.msg('Event: Small', 'A: 1'), { maxMessageBytes: 4096 });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/larger than 4096 bytes/);
    expect(messages.map((m) => m.name)).toEqual(['Small']);
  });

  it('a peer that never ends a line never grows the buffer past the cap', () => {
    const errors: Error[] = [];
    const f = new AmiFramer(
      { message: () => {}, error: (e) => errors.push(e) },
      { maxMessageBytes: 64 * 1024 },
    );
    f.push(Buffer.from('Event: Endless\r\nValue: '));
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    let peak = 0;
    for (let i = 0; i < 200; i++) {
      f.push(chunk);
      peak = Math.max(peak, f.buffered);
    }
    expect(peak).toBeLessThanOrEqual(64 * 1024);
    expect(errors).toHaveLength(1);
  });

  it('a peer that sends header lines forever without an empty line is cut at the cap', () => {
    const errors: Error[] = [];
    const f = new AmiFramer(
      { message: () => {}, error: (e) => errors.push(e) },
      { maxMessageBytes: 32 * 1024 },
    );
    f.push(Buffer.from('Response: Follows\r\nPrivilege: Command\r\n'));
    let peak = 0;
    for (let i = 0; i < 5000; i++) {
      f.push(Buffer.from(`line ${i} of a CLI output that never ends\n`));
      peak = Math.max(peak, f.buffered);
    }
    expect(peak).toBeLessThanOrEqual(32 * 1024);
    expect(errors).toHaveLength(1);
  });
});

describe('AmiFramer name filter', () => {
  const want = new Set(['Hangup']);
  const opts = { wantEvent: (n: string) => want.has(n) };

  it('skips unwanted events, keeps wanted events and every response', () => {
    const input =
      T.msg('Event: VarSet', 'Variable: X', 'Value: 1') +
      T.msg('Event: Hangup', 'Cause: 16') +
      T.msg('Response: Success', 'ActionID: 1') +
      T.msg('Event: Newexten', 'Extension: s');
    const { messages } = frame(input, opts);
    expect(messages.map((m) => `${m.kind}:${m.name}`)).toEqual(['event:Hangup', 'response:Success']);
  });

  it('resynchronises on Event:/Response: inside a skipped event with no closing line (§15)', () => {
    const input = 'Event: VarSet\r\nValue: 1\r\nEvent: Hangup\r\nCause: 16\r\n\r\n';
    expect(frame(input, opts).messages.map((m) => m.headers)).toEqual([{ event: 'Hangup', cause: '16' }]);
  });
});
