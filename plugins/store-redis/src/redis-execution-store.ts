import {
  type ExecutionPage,
  type ExecutionQuery,
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionStore,
  type ExecutionSummary,
  FlowlaneError,
  type RunStartedRecord,
} from '@flowlane/core';
import type { Redis } from 'ioredis';
import { isTransientRedisError } from './transient-errors.js';

/*
 * Keys (prefix p):
 *   p run:<id>        hash  workflow version graphHash status startedAt finishedAt owner epoch records lastSeq order
 *   p run:<id>:log    list  one element per batch: its records as JSON lines, in seq order
 *   p run:<id>:lease  string "<owner>:<epoch>" with PX expiry (absent = expired)
 *   p runs            zset  order → id (every run, newest = highest)
 *   p runs:running    zset  order → id (unfinished runs)
 *   p runs:seq        counter of `order`
 * Every write is one Lua script: one round trip, atomic, fenced by epoch, idempotent by seq.
 */

const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'DUP' end
local order = redis.call('INCR', KEYS[6])
redis.call('HSET', KEYS[1], 'workflow', ARGV[3], 'graphHash', ARGV[5], 'status', 'running', 'startedAt', ARGV[6],
  'owner', ARGV[1], 'epoch', 1, 'records', 0, 'lastSeq', 0, 'order', order)
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'version', string.sub(ARGV[4], 2)) end
redis.call('SET', KEYS[3], ARGV[1] .. ':1', 'PX', ARGV[2])
redis.call('ZADD', KEYS[4], order, ARGV[7])
redis.call('ZADD', KEYS[5], order, ARGV[7])
-- ARGV[8] = seq of the first record, ARGV[9] = how many, ARGV[10] = the records as JSON lines
local n = tonumber(ARGV[9])
redis.call('RPUSH', KEYS[2], ARGV[10])
redis.call('HSET', KEYS[1], 'lastSeq', tonumber(ARGV[8]) + n - 1, 'records', n)
return 'OK'
`;

const APPEND = `
local st = redis.call('HMGET', KEYS[1], 'epoch', 'status', 'lastSeq')
if not st[1] then return {'MISSING'} end
if tonumber(st[1]) ~= tonumber(ARGV[1]) or st[2] ~= 'running' then return {'FENCED', st[1]} end
-- ARGV[6] = seq of the first record (consecutive seqs), ARGV[7] = how many, ARGV[8] = the records as JSON lines.
-- Records already stored (a batch resent after a reconnect) are skipped: whole lines cut off the front.
local last = tonumber(st[3])
local first = tonumber(ARGV[6])
local count = tonumber(ARGV[7])
local skip = math.max(0, last - first + 1)
local n = count - skip
if n > 0 then
  local text = ARGV[8]
  if skip > 0 then
    local pos = 0
    for _ = 1, skip do pos = string.find(text, '\\n', pos + 1, true) end
    text = string.sub(text, pos + 1)
  end
  redis.call('RPUSH', KEYS[2], text)
  redis.call('HSET', KEYS[1], 'lastSeq', first + count - 1)
  redis.call('HINCRBY', KEYS[1], 'records', n)
end
if ARGV[3] ~= '' and n > 0 then
  redis.call('HSET', KEYS[1], 'status', ARGV[3], 'finishedAt', ARGV[4])
  redis.call('DEL', KEYS[3])
  redis.call('ZREM', KEYS[4], ARGV[5])
  if tonumber(ARGV[2]) > 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
  end
end
return {'OK'}
`;

const CLAIM = `
local st = redis.call('HMGET', KEYS[1], 'status', 'epoch')
if st[1] ~= 'running' then return 0 end
if ARGV[3] ~= '1' and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
redis.call('SET', KEYS[2], ARGV[1] .. ':' .. epoch, 'PX', ARGV[2])
return epoch
`;

const RENEW = `
local st = redis.call('HMGET', KEYS[1], 'status', 'epoch')
if st[1] ~= 'running' or tonumber(st[2]) ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[3] .. ':' .. ARGV[1], 'PX', ARGV[2])
return 1
`;

interface FlowlaneCommands {
  flowlaneExecCreate(...args: (string | number)[]): Promise<string>;
  flowlaneExecAppend(...args: (string | number)[]): Promise<[string, string?]>;
  flowlaneExecClaim(...args: (string | number)[]): Promise<number>;
  flowlaneExecRenew(...args: (string | number)[]): Promise<number>;
}

const SUMMARY_FIELDS = [
  'workflow',
  'version',
  'graphHash',
  'status',
  'startedAt',
  'finishedAt',
  'owner',
  'epoch',
  'records',
  'order',
] as const;

function finishing(r: ExecutionRecord): ExecutionStatus | undefined {
  if (r.type === 'workflow.completed') return 'success';
  if (r.type === 'workflow.failed') return 'failed';
  if (r.type === 'workflow.cancelled') return 'cancelled';
  return undefined;
}

/** A batch (consecutive seqs from `first`) as JSON lines, plus the finishing status (if the batch ends the run). */
function encode(records: readonly ExecutionRecord[]): {
  first: number;
  count: number;
  lines: string;
  status: string;
  finishedAt: number;
} {
  const pairs: string[] = [];
  let status = '';
  let finishedAt = 0;
  const first = records[0]?.seq ?? 1;
  for (let k = 0; k < records.length; k++) {
    const r = records[k]!;
    if (r.seq !== first + k)
      throw new FlowlaneError('FL_INVALID_OPTION', {
        option: 'records',
        reason: `a batch must have consecutive seqs (got ${r.seq} after ${first + k - 1})`,
      });
    pairs.push(JSON.stringify(r));
    const s = finishing(r);
    if (s !== undefined) {
      status = s;
      finishedAt = r.at;
    }
  }
  return { first, count: records.length, lines: pairs.join('\n'), status, finishedAt };
}

/**
 * The execution log in Redis: a list of JSON records per run and a summary hash, written by Lua scripts (one round
 * trip per batch, fenced by the lease epoch, idempotent by `seq` so a batch resent after a reconnect is not
 * duplicated). Finished runs expire after `retentionMs`.
 */
export function createRedisExecutionStore(
  client: Redis,
  options: { readonly prefix: string; readonly retentionMs: number },
): ExecutionStore {
  const p = options.prefix;
  const c = client as Redis & FlowlaneCommands;
  if (typeof c.flowlaneExecCreate !== 'function') {
    client.defineCommand('flowlaneExecCreate', { numberOfKeys: 6, lua: CREATE });
    client.defineCommand('flowlaneExecAppend', { numberOfKeys: 4, lua: APPEND });
    client.defineCommand('flowlaneExecClaim', { numberOfKeys: 2, lua: CLAIM });
    client.defineCommand('flowlaneExecRenew', { numberOfKeys: 2, lua: RENEW });
  }
  const hash = (id: string) => `${p}run:${id}`;
  const log = (id: string) => `${p}run:${id}:log`;
  const lease = (id: string) => `${p}run:${id}:lease`;
  const all = `${p}runs`;
  const running = `${p}runs:running`;

  const summary = (id: string, v: (string | null)[]): ExecutionSummary | undefined => {
    const [workflow, version, graphHash, status, startedAt, finishedAt, owner, epoch, records] = v;
    if (workflow === null || workflow === undefined) return undefined;
    return {
      executionId: id,
      workflow,
      ...(version === null || version === undefined ? {} : { version }),
      graphHash: graphHash ?? '',
      status: (status ?? 'running') as ExecutionStatus,
      startedAt: Number(startedAt),
      ...(finishedAt === null || finishedAt === undefined ? {} : { finishedAt: Number(finishedAt) }),
      ...(owner === null || owner === undefined ? {} : { owner }),
      epoch: Number(epoch),
      records: Number(records),
    };
  };

  return {
    name: 'redis',
    async create(id, records, l) {
      const first = records[0] as RunStartedRecord | undefined;
      if (first === undefined || first.type !== 'workflow.started')
        throw new FlowlaneError('FL_INVALID_OPTION', {
          option: 'records',
          reason: 'the first record of a run must be workflow.started',
        });
      const { first: firstSeq, count, lines } = encode(records);
      const r = await c.flowlaneExecCreate(
        hash(id),
        log(id),
        lease(id),
        all,
        running,
        `${p}runs:seq`,
        l.owner,
        l.leaseMs,
        first.workflow,
        first.version === undefined ? '' : `v${first.version}`,
        first.graphHash,
        first.at,
        id,
        firstSeq,
        count,
        lines,
      );
      if (r === 'DUP') throw new FlowlaneError('FL_DUPLICATE_EXECUTION', { executionId: id });
    },
    async append(id, records, fence) {
      const { first, count, lines, status, finishedAt } = encode(records);
      const [r, current] = await c.flowlaneExecAppend(
        hash(id),
        log(id),
        lease(id),
        running,
        fence.epoch,
        options.retentionMs,
        status,
        finishedAt,
        id,
        first,
        count,
        lines,
      );
      if (r === 'MISSING') throw new FlowlaneError('FL_EXECUTION_NOT_FOUND', { executionId: id });
      if (r === 'FENCED')
        throw new FlowlaneError('FL_EXECUTION_FENCED', {
          executionId: id,
          epoch: fence.epoch,
          ...(current === undefined ? {} : { current: Number(current) }),
        });
    },
    isTransientError: isTransientRedisError,
    async read(id) {
      const [[, exists], [, items]] = (await client.multi().exists(hash(id)).lrange(log(id), 0, -1).exec()) as [
        [unknown, number],
        [unknown, string[]],
      ];
      if (exists === 0) return undefined;
      const out: ExecutionRecord[] = [];
      for (const batch of items) for (const line of batch.split('\n')) out.push(JSON.parse(line) as ExecutionRecord);
      return out;
    },
    async get(id) {
      return summary(id, await client.hmget(hash(id), ...SUMMARY_FIELDS));
    },
    async list(query: ExecutionQuery = {}): Promise<ExecutionPage> {
      const limit = query.limit ?? 100;
      const key = query.status === 'running' ? running : all;
      if (query.cursor !== undefined && !/^\d{1,20}$/.test(query.cursor))
        throw new FlowlaneError('FL_INVALID_OPTION', {
          where: 'engine.runs.list',
          option: 'cursor',
          reason: `not a cursor of this store: ${JSON.stringify(query.cursor)}; pass the cursor of the previous page`,
        });
      let max = query.cursor === undefined ? '+inf' : `(${query.cursor}`;
      const out: ExecutionSummary[] = [];
      let lastOrder: string | undefined;
      const batch = Math.max(limit + 1, 50);
      for (;;) {
        const ids = await client.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, batch);
        if (ids.length === 0) return { runs: out };
        const pipe = client.pipeline();
        for (let k = 0; k < ids.length; k += 2) pipe.hmget(hash(ids[k]!), ...SUMMARY_FIELDS);
        const rows = (await pipe.exec()) ?? [];
        const expired: string[] = [];
        for (let k = 0; k < ids.length; k += 2) {
          const id = ids[k]!;
          const s = summary(id, (rows[k / 2]?.[1] ?? []) as (string | null)[]);
          max = `(${ids[k + 1]}`;
          if (s === undefined) {
            expired.push(id); // removed by retention: drop it from the index too
            continue;
          }
          if (query.status !== undefined && s.status !== query.status) continue;
          if (query.workflow !== undefined && s.workflow !== query.workflow) continue;
          if (out.length === limit) {
            if (expired.length > 0) await client.zrem(all, ...expired);
            return { runs: out, cursor: lastOrder! };
          }
          out.push(s);
          lastOrder = ids[k + 1]!;
        }
        if (expired.length > 0) await client.zrem(all, ...expired);
        if (ids.length < batch * 2) return { runs: out };
      }
    },
    async claim(id, o) {
      const epoch = await c.flowlaneExecClaim(hash(id), lease(id), o.owner, o.leaseMs, o.force === true ? '1' : '0');
      return epoch === 0 ? undefined : Number(epoch);
    },
    async renew(id, fence, leaseMs) {
      return (await c.flowlaneExecRenew(hash(id), lease(id), fence.epoch, leaseMs, fence.owner)) === 1;
    },
  };
}
