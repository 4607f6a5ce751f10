import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Files of a throwaway test PKI: a CA, a server cert for 127.0.0.1/localhost, and a client cert. */
export interface TestPki {
  caFile: string;
  caKeyFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 30_000 });
  } catch (e) {
    const err = e as { stderr?: string; code?: string; message: string };
    const hint = err.code === 'ENOENT' ? ' (openssl is not installed: apt-get install -y openssl)' : '';
    throw new Error(`openssl ${args[0]} failed${hint}: ${err.stderr ?? err.message}`);
  }
}

/** Signs a new P-256 key's certificate with the CA; `ext` is the x509v3 extension text. */
async function issue(dir: string, name: string, cn: string, ext: string): Promise<void> {
  await openssl(
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    ]),
    dir,
  );
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-sha256',
      '-extfile',
      `${name}.ext`,
    ]),
    dir,
  );
}

/** Generates a CA, a server certificate valid for 127.0.0.1, ::1 and localhost, and a client certificate, in `dir`. */
export async function generateTestPki(dir: string, clientCn = 'pbxlink-test-client'): Promise<TestPki> {
  await openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=pbxlink-test-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]),
    dir,
  );
  await issue(
    dir,
    'server',
    'localhost',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n',
  );
  await issue(
    dir,
    'client',
    clientCn,
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n',
  );
  return {
    caFile: join(dir, 'ca.crt'),
    caKeyFile: join(dir, 'ca.key'),
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile: join(dir, 'server.key'),
    clientCertFile: join(dir, 'client.crt'),
    clientKeyFile: join(dir, 'client.key'),
  };
}
