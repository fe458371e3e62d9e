/* Internal: one command → a batch/v1 Job manifest. */
import { randomBytes } from 'node:crypto';
import type { V1Job } from '@kubernetes/client-node';
import type { JobTarget } from './options.js';

/** The name of the Job's only container. */
export const JOB_CONTAINER = 'main';
/** Label on every Job and pod the executor creates. */
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'flowlane' } as const;
const DEFAULT_TTL_SECONDS = 300;

/** `prefix-<8 random chars>`, a valid DNS-1123 label (≤ 63 characters, so it fits the `job-name` label). */
export function jobName(prefix = 'flowlane'): string {
  const clean =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .slice(0, 54)
      .replace(/^-+|-+$/g, '') || 'flowlane';
  const suffix = [...randomBytes(8)].map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
  return `${clean}-${suffix}`;
}

/** What one command adds to its target. */
export interface JobCommand {
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly cwd?: string | undefined;
}

/** The Job that runs `command` as described by `target`. */
export function jobManifest(target: JobTarget, name: string, namespace: string, command: JobCommand): V1Job {
  const env = Object.entries({ ...target.env, ...command.env }).map(([envName, value]) => ({ name: envName, value }));
  const workingDir = command.cwd ?? target.workingDir;
  const labels = { ...target.labels, ...MANAGED_BY };
  const ttl = target.ttlSecondsAfterFinished ?? (target.keep ? undefined : DEFAULT_TTL_SECONDS);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, labels },
    spec: {
      backoffLimit: 0,
      ...(ttl === undefined ? {} : { ttlSecondsAfterFinished: ttl }),
      ...(target.activeDeadlineSeconds === undefined ? {} : { activeDeadlineSeconds: target.activeDeadlineSeconds }),
      template: {
        metadata: { labels, ...(target.annotations === undefined ? {} : { annotations: { ...target.annotations } }) },
        spec: {
          restartPolicy: 'Never',
          ...(target.serviceAccountName === undefined ? {} : { serviceAccountName: target.serviceAccountName }),
          containers: [
            {
              name: JOB_CONTAINER,
              image: target.image,
              ...(target.imagePullPolicy === undefined ? {} : { imagePullPolicy: target.imagePullPolicy }),
              command: [...command.argv],
              ...(env.length === 0 ? {} : { env }),
              ...(workingDir === undefined ? {} : { workingDir }),
              ...(target.resources === undefined
                ? {}
                : {
                    resources: {
                      ...(target.resources.requests === undefined
                        ? {}
                        : { requests: { ...target.resources.requests } }),
                      ...(target.resources.limits === undefined ? {} : { limits: { ...target.resources.limits } }),
                    },
                  }),
            },
          ],
        },
      },
    },
  };
}
