import { describe, expect, it } from 'vitest';
import { ServiceStartError, ServiceUnavailableError, TestingErrorCodes } from './errors.js';
import { requireBinary } from './find-binary.js';

describe('ServiceUnavailableError', () => {
  it('names the binary, the exact install command and the setup script', () => {
    const err = new ServiceUnavailableError(
      'redis',
      'redis-server',
      'sudo apt-get install -y --no-install-recommends redis-server',
    );
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ServiceUnavailableError');
    expect(err.code).toBe('FL_TEST_SERVICE_MISSING');
    expect(err.service).toBe('redis');
    expect(err.installCommand).toBe('sudo apt-get install -y --no-install-recommends redis-server');
    expect(err.message).toBe(
      'redis-server not found. Install it with: sudo apt-get install -y --no-install-recommends redis-server ' +
        '(or run scripts/setup-test-services.sh)',
    );
  });

  it('is what a missing binary turns into', async () => {
    const attempt = requireBinary('imaginary', 'flowlane-no-such-binary', 'flowlane-no-such-package');
    await expect(attempt).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(attempt).rejects.toMatchObject({
      code: 'FL_TEST_SERVICE_MISSING',
      service: 'imaginary',
      installCommand: 'sudo apt-get install -y --no-install-recommends flowlane-no-such-package',
    });
  });

  it('finds installed binaries, including sbin daemons outside PATH', async () => {
    await expect(requireBinary('sh', 'sh', 'dash')).resolves.toMatch(/\/sh$/);
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(requireBinary('sshd', 'sshd', 'openssh-server')).resolves.toBe('/usr/sbin/sshd');
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('ServiceStartError', () => {
  it('carries the reason and the output tail of the service', () => {
    const err = new ServiceStartError('redis', 'exited with code 1 before it was ready', 'Bad directive');
    expect(err.code).toBe('FL_TEST_SERVICE_START_FAILED');
    expect(err.message).toBe(
      'redis failed to start: exited with code 1 before it was ready.\nLast output of redis:\nBad directive',
    );
    expect(Object.keys(TestingErrorCodes)).toEqual(['FL_TEST_SERVICE_MISSING', 'FL_TEST_SERVICE_START_FAILED']);
  });
});
