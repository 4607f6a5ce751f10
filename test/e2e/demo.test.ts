import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { useProcesses } from '../helpers/process';
import { formatFeedLine, paint } from '../sim/demo-format';

// `npm run demo` as a user runs it (dist/demo.js, built by pretest): embedded broker, simulator, the real
// agent process; the feed shows what a consumer sees, the printed pbxctl line works, and nothing is left behind.
const procs = useProcesses();
// When an assertion fails, useProcesses SIGKILLs the demo, which cannot stop its agent then: stop it here.
let agentPid: number | undefined;
afterEach(() => {
  if (agentPid && existsSync(`/proc/${agentPid}`)) process.kill(agentPid, 'SIGKILL');
  agentPid = undefined;
});

describe('npm run demo', () => {
  it('shows birth, snapshots and call events; the printed pbxctl tail and send lines work; exits 0 leaving no child', async () => {
    const demo = procs.node(['dist/demo.js', '--duration', '20']);
    const pidLine = await demo.waitForLine(/agent pid \d+/, 15_000, 'stdout');
    agentPid = Number(/agent pid (\d+)/.exec(pidLine)![1]);
    expect(existsSync(`/proc/${agentPid}`)).toBe(true);
    const tailLine = await demo.waitForLine(
      /npx pbxctl tail demo-pbx all --broker mqtt:\/\/127\.0\.0\.1:\d+ --mqtt3$/,
      5_000,
    );
    const sendLine = await demo.waitForLine(/npx pbxctl send demo-pbx agent\.info /, 5_000);
    expect(tailLine).toContain('--mqtt3');

    expect(sendLine).toMatch(/--mqtt3 --key \/\S+\/demo\.key$/);

    // The printed tail line, run as printed (pbxctl = dist/pbxctl.js), shows the agent's retained birth.
    await demo.waitForLine(/status online demo-pbx/, 15_000);
    const args = tailLine.trim().split(/\s+/).slice(2);
    const tail = await procs.runNode(['dist/pbxctl.js', ...args, '--count', '2'], { timeoutMs: 10_000 });
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stdout).toMatch(/demo-pbx status online .*\(retained\)/);

    // The printed send line, run as printed, is answered by the agent with its info (signed with demo.key).
    const sendArgs = sendLine.trim().split(/\s+/).slice(2);
    const info = await procs.runNode(['dist/pbxctl.js', ...sendArgs, '--timeout', '10'], {
      timeoutMs: 15_000,
    });
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({
      agent: 'demo-pbx',
      capabilities: expect.arrayContaining(['agent.info', 'calls.list']),
    });

    const { code } = await demo.exited;
    const feed = demo.stdout.join('\n');
    expect(code, feed).toBe(0);
    expect(feed).toMatch(/status online demo-pbx v\d/);
    expect(feed).toMatch(/state\/peers \d+ peers: .*ok/);
    expect(feed).toMatch(/state\/calls \d+ live call/);
    // No database: the agent runs degraded and its health says so.
    expect(feed).toMatch(/state\/health .*database down/);
    expect(feed).toMatch(/state\/disks \/ \d+% used/);
    expect(feed).toMatch(/call\.started 100 Alice → \d+/);
    expect(feed).toMatch(/call\.ended .*\(internal\) completed \d+\.\d s talk Q\.850 16 Normal Clearing/);
    expect(feed).toMatch(/cdr\.new 100 → \d+ ANSWERED/);
    expect(feed).toMatch(/peer\.status 102 unreachable \(was ok\)/);
    expect(feed).toMatch(/status offline demo-pbx \(stopped\)/);
    expect(feed).toMatch(/demo stopped$/);
    expect(existsSync(`/proc/${agentPid}`)).toBe(false);
    agentPid = undefined; // gone: never signal a pid the system may reuse
  }, 60_000);

  it('feed lines: colors only when asked, control characters from payloads neutralized', () => {
    const env = (type: string, data: unknown) =>
      Buffer.from(JSON.stringify({ v: 1, agent: 'a1', seq: 7, ts: '2026-01-01T10:00:00.123Z', type, data }));
    const ended = env('call.ended', {
      call: {
        direction: 'inbound',
        from: { number: '5551234', name: 'ACME\u001b[2J' },
        to: { number: '100', name: null },
        answered_at: 'x',
        talk_s: 12.34,
      },
      end: { reason: 'completed', q850_code: 16, q850_text: 'Normal Clearing' },
    });
    const plain = formatFeedLine('pbxlink/v1', 'pbxlink/v1/a1/events/call.ended', ended, paint(false));
    expect(plain).toBe(
      '10:00:00.123 #7 call.ended 5551234 ACME?[2J → 100 (inbound) completed 12.3 s talk Q.850 16 Normal Clearing',
    );
    const colored = formatFeedLine('pbxlink/v1', 'pbxlink/v1/a1/events/call.ended', ended, paint(true));
    expect(colored).toContain('\u001b[32mcompleted\u001b[39m');
    expect(
      formatFeedLine('pbxlink/v1', 'pbxlink/v1/a1/cmd', Buffer.from('eyJ...'), paint(false)),
    ).toBeUndefined();
    expect(formatFeedLine('pbxlink/v1', 'other/topic', Buffer.from('{}'), paint(false))).toBeUndefined();
  });
});
