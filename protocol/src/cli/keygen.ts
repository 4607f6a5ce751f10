import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SCOPES } from '../schemas/common';
import { generateKeyPair, publicPem } from '../signing';
import { CliError, EXIT } from './io';
import type { Subcommand } from './subcommand';

const KID = /^[A-Za-z0-9._:@-]{1,128}$/;

async function writeNew(file: string, text: string, mode: number, force: boolean): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | (force ? constants.O_TRUNC : constants.O_EXCL);
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file, flags, mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError(`${file} exists already; pick another --kid or pass --force`);
    throw new CliError(`cannot write ${file}: ${code ?? (e as Error).message}`);
  }
  try {
    await fh.chmod(mode);
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
}

/** `pbxctl keygen --kid NAME [--out DIR] [--scope S ...]`: a new Ed25519 key pair and its trusted-keys entry. */
export const keygen: Subcommand = {
  name: 'keygen',
  summary: 'create an Ed25519 key pair and print the trusted-keys entry for agents',
  help: `Usage: pbxctl keygen --kid NAME [--out DIR] [--scope SCOPE ...] [--force]

Writes DIR/NAME.key (private key, PEM, mode 0600) and DIR/NAME.pub (public key, PEM),
then prints the JSON entry to add to each agent's trusted-keys file (PBXLINK_TRUSTED_KEYS,
a JSON array). Keep NAME.key secret; give pbxctl --key DIR/NAME.key (or PBXCTL_KEY).

Options:
      --kid NAME      key id, [A-Za-z0-9._:@-]{1,128}; the agent knows the key by it
  -o, --out DIR       where to write the files (default: current directory)
      --scope SCOPE   scope the entry grants; repeatable (default: read)
                      one of: ${SCOPES.join(', ')}
      --force         overwrite existing files`,
  options: {
    kid: { type: 'string' },
    out: { type: 'string', short: 'o' },
    scope: { type: 'string', multiple: true },
    force: { type: 'boolean' },
  },
  async run(v, positionals, io) {
    if (positionals.length > 0) throw new CliError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const kid = v.kid;
    if (typeof kid !== 'string') throw new CliError('missing --kid NAME (see pbxctl keygen --help)');
    if (!KID.test(kid))
      throw new CliError(`invalid --kid ${JSON.stringify(kid)}: expected [A-Za-z0-9._:@-]{1,128}`);
    const scopes = (v.scope as string[] | undefined) ?? ['read'];
    for (const s of scopes) {
      if (!(SCOPES as readonly string[]).includes(s)) {
        throw new CliError(`unknown --scope ${JSON.stringify(s)}: one of ${SCOPES.join(', ')}`);
      }
    }
    const dir = resolve(typeof v.out === 'string' ? v.out : '.');
    await mkdir(dir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
      throw new CliError(`cannot create ${dir}: ${e.code ?? e.message}`);
    });
    const pair = generateKeyPair();
    const privatePem = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const pubPem = publicPem(pair.publicKey);
    const keyFile = join(dir, `${kid}.key`);
    const pubFile = join(dir, `${kid}.pub`);
    await writeNew(keyFile, privatePem, 0o600, v.force === true);
    await writeNew(pubFile, pubPem, 0o644, v.force === true);
    io.err(`wrote ${keyFile} (private, keep secret) and ${pubFile}\n`);
    io.err("add this entry to each agent's trusted-keys file:\n");
    io.out(`${JSON.stringify({ kid, publicKey: pubPem, scopes }, null, 2)}\n`);
    return EXIT.ok;
  },
};
