import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from './cli-error.js';
import { importOptional } from './optional-package.js';
import { redactUrls } from './redact.js';

describe('optional plugin packages', () => {
  it('a package installed neither in the project nor next to the CLI: a usage error naming what to install', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowlane-cli-optional-'));
    try {
      const e = await importOptional('@flowlane/not-installed', dir, 'flowlane frobnicate').catch((x: unknown) => x);
      expect(e).toBeInstanceOf(CliError);
      expect((e as CliError).message).toBe(
        'flowlane frobnicate needs the package @flowlane/not-installed, which is not installed.',
      );
      expect((e as CliError).hint).toMatch(/pnpm add @flowlane\/not-installed/);
      expect((e as CliError).exitCode).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an installed one is imported (from next to the CLI when the project lacks it)', async () => {
    const mod = await importOptional<{ redisStore: unknown }>('@flowlane/store-redis', tmpdir(), 'x');
    expect(typeof mod.redisStore).toBe('function');
  });

  it('redacts passwords of URLs in any text', () => {
    expect(redactUrls('Redis at redis://ops:s3cret@db:6379/0 failed; also rediss://:p%40ss@h')).toBe(
      'Redis at redis://ops:***@db:6379/0 failed; also rediss://:***@h',
    );
    expect(redactUrls('redis://db:6379 and https://example.org/a:b@c')).toBe(
      'redis://db:6379 and https://example.org/a:b@c',
    );
  });
});
