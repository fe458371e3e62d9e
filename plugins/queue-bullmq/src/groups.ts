import { allKeys } from '@flowlane/core';
import { BullmqError } from './errors.js';
import { checkKeys, checkMs } from './protocol.js';

/** A BullMQ rate limit: at most `max` jobs started per `duration` ms, over all workers of the group. */
export interface BullmqLimiter {
  /** Most jobs started per window (integer > 0). */
  readonly max: number;
  /** The window, ms (integer > 0). */
  readonly duration: number;
}

/** Options of one worker group in {@link BullmqDispatchOptions.groups}' object form. */
export interface BullmqGroupOptions {
  /**
   * Rate limit of the group's queue (BullMQ's global rate limit, stored in Redis: every worker of the group obeys it,
   * with or without its own `limiter`). Without it, setup removes any rate limit set earlier on that queue.
   */
  readonly limiter?: BullmqLimiter | undefined;
}

const GROUP_KEYS = allKeys<BullmqGroupOptions>()(['limiter']);
const LIMITER_KEYS = allKeys<BullmqLimiter>()(['max', 'duration']);

/** Validates a `{ max, duration }` limiter (`option` names it in errors). */
export function checkLimiter(where: string, option: string, v: unknown): BullmqLimiter {
  const bad = (reason: string) => new BullmqError('FL_BULLMQ_INVALID_OPTION', { where, option, reason });
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw bad('expected { max, duration } (at most max jobs per duration ms)');
  checkKeys(where, v, LIMITER_KEYS);
  const l = v as Record<string, unknown>;
  for (const k of ['max', 'duration'] as const)
    if (!(Number.isInteger(l[k]) && (l[k] as number) > 0))
      throw bad(`expected ${k} to be an integer > 0, got ${String(l[k])}`);
  checkMs(where, `${option}.duration`, l.duration);
  return { max: l.max as number, duration: l.duration as number };
}

/** What `groups` says once validated: names in order, and per group its limiter (`null`: none) in the object form. */
export interface NormalizedGroups {
  readonly names: readonly string[];
  /** Only in the object form, where the coordinator sets (or removes) each group queue's rate limit. */
  readonly limits: ReadonlyMap<string, BullmqLimiter | null> | undefined;
}

/** Validates `groups`: an array of names, or an object from name to {@link BullmqGroupOptions}. */
export function normalizeGroups(where: string, groups: unknown): NormalizedGroups {
  const bad = (option: string, reason: string) =>
    new BullmqError('FL_BULLMQ_INVALID_OPTION', { where, option, reason });
  const badName = (g: unknown) => typeof g !== 'string' || g === '' || g === 'local';
  if (Array.isArray(groups)) {
    if (groups.some(badName)) throw bad('groups', "expected an array of non-empty group names other than 'local'");
    return { names: [...(groups as string[])], limits: undefined };
  }
  if (typeof groups !== 'object' || groups === null)
    throw bad(
      'groups',
      "expected an array of group names, or an object { <group>: { limiter? } } (names other than 'local')",
    );
  const limits = new Map<string, BullmqLimiter | null>();
  for (const [name, o] of Object.entries(groups)) {
    if (badName(name)) throw bad('groups', "expected non-empty group names other than 'local'");
    const option = `groups.${name}`;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad(option, 'expected an object { limiter? }');
    checkKeys(where, o, GROUP_KEYS);
    const limiter = (o as BullmqGroupOptions).limiter;
    limits.set(name, limiter === undefined ? null : checkLimiter(where, `${option}.limiter`, limiter));
  }
  return { names: [...limits.keys()], limits };
}
