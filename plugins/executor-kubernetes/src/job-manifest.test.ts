import { describe, expect, it } from 'vitest';
import { jobManifest, jobName } from './job-manifest.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('jobName', () => {
  it('is a DNS-1123 label of at most 63 characters with a random suffix', () => {
    for (const prefix of [undefined, 'Build Step', '--x--', '!!!', 'a'.repeat(100), 'ünïcode/έργο']) {
      const name = jobName(prefix);
      expect(name).toMatch(DNS_LABEL);
      expect(name.length).toBeLessThanOrEqual(63);
    }
    expect(jobName('Build Step')).toMatch(/^build-step-[a-z0-9]{8}$/);
    expect(jobName('!!!')).toMatch(/^flowlane-/);
    expect(jobName()).not.toBe(jobName());
  });
});

describe('jobManifest', () => {
  const base = { kind: 'job', image: 'alpine:3' } as const;

  it('writes only what is set, with backoffLimit 0, restartPolicy Never and a 300 s TTL by default', () => {
    expect(jobManifest(base, 'j', 'ns', { argv: ['true'] })).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j', namespace: 'ns', labels: { 'app.kubernetes.io/managed-by': 'flowlane' } },
      spec: {
        backoffLimit: 0,
        ttlSecondsAfterFinished: 300,
        template: {
          metadata: { labels: { 'app.kubernetes.io/managed-by': 'flowlane' } },
          spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'alpine:3', command: ['true'] }] },
        },
      },
    });
  });

  it('drops the default TTL with keep, honours explicit TTL, deadline and pull policy', () => {
    expect(jobManifest({ ...base, keep: true }, 'j', 'ns', { argv: ['true'] }).spec).not.toHaveProperty(
      'ttlSecondsAfterFinished',
    );
    const spec = jobManifest(
      { ...base, keep: true, ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 600, imagePullPolicy: 'Never' },
      'j',
      'ns',
      { argv: ['true'], cwd: '/work' },
    ).spec;
    expect(spec).toMatchObject({ ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 600 });
    expect(spec?.template.spec?.containers[0]).toMatchObject({ imagePullPolicy: 'Never', workingDir: '/work' });
  });
});
