// Seed 002 "Data Pipeline Workflow": extract from three sources in parallel, validate → clean → enrich (only when
// `condition` says so), then load in parallel where the search index and the report may fail without failing the
// pipeline (`onError: 'continue'`).
//
// The skip rule: when `enrich` is skipped its dependents would be skipped too, so the load steps set
// `runIfSkipped: true` and fall back to the cleaned count.
import { createEngine, workflow } from '@flowlane/core';
import type { ScenarioOptions } from './scenario.js';
import { type StepInput, simulateWork } from './simulated-step.js';
import { realSleep, type Sleep } from './sleep.js';

export interface EtlInput extends StepInput {
  readonly date: string;
  /** Enrich the records (default true). */
  readonly enrich?: boolean | undefined;
}

export interface EtlPipelineOptions {
  readonly sleep?: Sleep | undefined;
  /** First retry delay of the extract steps, ms. Default 100. */
  readonly retryIntervalMs?: number | undefined;
}

interface Extracted {
  readonly records: number;
  readonly source: string;
}

export function createEtlPipeline({ sleep = realSleep, retryIntervalMs = 100 }: EtlPipelineOptions = {}) {
  const retries = (n: number) => ({ maxAttempts: n + 1, initialInterval: retryIntervalMs });
  const extract =
    (source: string, records: number, ms: number) =>
    async (ctx: Parameters<typeof simulateWork>[0]): Promise<Extracted> => {
      await simulateWork(ctx, sleep, `extracting from ${source}`, ms);
      return { records, source };
    };
  const loadOptions = { dependsOn: ['clean', 'enrich'], runIfSkipped: true } as const;
  return (
    workflow('etl-data-pipeline')
      .input<EtlInput>()
      // Extract
      .addNode('extract-api', extract('api', 10_000, 150), { retry: retries(3), timeout: 60_000 })
      .addNode('extract-database', extract('database', 25_000, 200), { retry: retries(2) })
      .addNode('extract-s3', extract('s3', 5000, 100), { retry: retries(3) })
      // Transform
      .addNode(
        'validate',
        async (ctx) => {
          await simulateWork(ctx, sleep, 'validating schema', 100);
          const { 'extract-api': api, 'extract-database': db, 'extract-s3': s3 } = ctx.results;
          const total = api.records + db.records + s3.records;
          const invalid = Math.round(total / 80);
          return { valid: total - invalid, invalid };
        },
        { dependsOn: ['extract-api', 'extract-database', 'extract-s3'] },
      )
      .chain('clean', async (ctx) => {
        await simulateWork(ctx, sleep, 'cleaning and normalising', 100);
        return { cleaned: ctx.results.validate.valid };
      })
      .chain(
        'enrich',
        async (ctx) => {
          await simulateWork(ctx, sleep, 'enriching', 150);
          return { enriched: ctx.results.clean.cleaned };
        },
        { condition: (ctx) => ctx.input.enrich !== false },
      )
      // Load
      .addNode(
        'load-warehouse',
        async (ctx) => {
          await simulateWork(ctx, sleep, 'inserting into the warehouse', 200);
          const rows = ctx.results.enrich?.enriched ?? ctx.results.clean.cleaned;
          return { inserted: rows, table: 'fact_data', enriched: ctx.results.enrich !== undefined };
        },
        { ...loadOptions, timeout: 120_000 },
      )
      .addNode(
        'update-search-index',
        async (ctx) => {
          await simulateWork(ctx, sleep, 'updating the search index', 150);
          return { indexed: ctx.results.enrich?.enriched ?? ctx.results.clean.cleaned };
        },
        { ...loadOptions, onError: 'continue' },
      )
      .addNode(
        'generate-report',
        async (ctx) => {
          await simulateWork(ctx, sleep, 'writing the report', 100);
          return { report: `pipeline-report-${ctx.input.date}.pdf` };
        },
        { ...loadOptions, onError: 'continue' },
      )
      .build()
  );
}

/** Runs the pipeline twice: enriched with a broken search index, then without enrichment. */
export async function main({ log = console.log, sleep }: ScenarioOptions = {}) {
  const pipeline = createEtlPipeline({ sleep });
  const engine = createEngine();
  try {
    const inputs: EtlInput[] = [
      { date: '2025-11-06', failures: { 'extract-api': 1, 'update-search-index': 'always' } },
      { date: '2025-11-07', enrich: false },
    ];
    const results = [];
    for (const input of inputs) {
      const result = await engine.run(pipeline, input).result;
      results.push(result);
      log(`ETL ${input.date} (enrich: ${input.enrich !== false}) → ${result.status} in ${result.durationMs} ms`);
      for (const [id, node] of Object.entries(result.nodes)) {
        const note =
          node.attempts > 1 ? ` after ${node.attempts} attempts` : node.error ? `: ${node.error.message}` : '';
        log(`  ${id.padEnd(20)} ${node.status}${note}`);
      }
    }
    return results;
  } finally {
    await engine.close();
  }
}
