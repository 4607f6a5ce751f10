/** docs/commands.md is generated from the registry: every command documented, examples valid, no drift. */
import { readFileSync, writeFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../../protocol/src/cli/args';
import { ReplySchema } from '../../../protocol/src/schemas/envelope';
import { COMMANDS } from '../../../protocol/src/schemas/registry';
import { validateArgs } from '../../../protocol/src/schemas/validate';
import { commandsDoc, exampleReplies, pbxctlArgs, pbxctlLine } from './commands-doc';

const FILE = 'docs/commands.md';

describe('docs/commands.md', () => {
  it('matches the registry (UPDATE_DOCS=1 rewrites it)', () => {
    const doc = commandsDoc();
    if (process.env.UPDATE_DOCS === '1') writeFileSync(FILE, doc);
    expect(readFileSync(FILE, 'utf8')).toBe(doc);
  });

  it.each(COMMANDS.map((c) => [c.name, c] as const))(
    '%s: documented with a valid request and valid replies',
    (name, spec) => {
      const doc = readFileSync(FILE, 'utf8');
      expect(doc).toContain(`### \`${name}\``);
      expect(validateArgs(name, spec.example.args).ok).toBe(true);
      for (const r of exampleReplies(spec)) expect(Value.Check(ReplySchema, r)).toBe(true);
      const line = pbxctlLine(name, spec.example.args as Record<string, unknown>);
      expect(doc).toContain(line);
      // What pbxctl parses from those --arg items is the example's args.
      expect(parseCommandArgs(pbxctlArgs(spec.example.args as Record<string, unknown>), undefined)).toEqual(
        spec.example.args,
      );
    },
  );
});
