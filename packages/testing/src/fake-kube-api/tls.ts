/* Internal: a private CA and a serving certificate for 127.0.0.1, made with the openssl CLI (node cannot sign X.509). */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ServiceStartError } from '../errors.js';
import { requireBinary } from '../find-binary.js';

const execFileAsync = promisify(execFile);

/** PEM texts of a throwaway CA and of a server certificate it signed. */
export interface ServingCertificates {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * Writes a P-256 CA (valid 2 days) and a server certificate for `IP:127.0.0.1` and `DNS:localhost` into `dir` and
 * returns them. The CA key never leaves `dir`, which the caller removes.
 */
export async function createServingCertificates(dir: string, service: string): Promise<ServingCertificates> {
  const openssl = await requireBinary(service, 'openssl', 'openssl');
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await writeFile(
    file('server.ext'),
    [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = IP:127.0.0.1, DNS:localhost',
      '',
    ].join('\n'),
  );
  const steps: string[][] = [
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.crt'),
      '-days',
      '2',
      '-subj',
      `/CN=${service} CA`,
      '-addext',
      'basicConstraints = critical, CA:TRUE',
      '-addext',
      'keyUsage = critical, keyCertSign, cRLSign',
    ],
    ['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', `/CN=${service}`],
    [
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      file('server.ext'),
      '-out',
      file('server.crt'),
    ],
  ];
  for (const args of steps) {
    try {
      await execFileAsync(openssl, args, { cwd: dir });
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '');
      throw new ServiceStartError(service, `openssl ${args[0]} failed while making its TLS certificate`, stderr, {
        cause: error,
      });
    }
  }
  const [ca, cert, key] = await Promise.all(
    ['ca.crt', 'server.crt', 'server.key'].map((name) => readFile(file(name), 'utf8')),
  );
  return { ca: ca!, cert: cert!, key: key! };
}
