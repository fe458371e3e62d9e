/* Test helpers shared by the plugin's suites: a silent logger, the async context manager, an in-memory provider. */
import type { Logger } from '@flowlane/core';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll } from 'vitest';

/** A logger that drops everything (the suites assert on spans, not on log lines). */
export const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Call at the top of a test file: installs an AsyncLocalStorage context manager for the file, removed after it. */
export function useContextManager(): void {
  const contextManager = new AsyncLocalStorageContextManager();
  beforeAll(() => void context.setGlobalContextManager(contextManager.enable()));
  afterAll(() => {
    context.disable();
  });
}

/** A tracer provider whose spans end up in an in-memory exporter. */
export function inMemory(): { exporter: InMemorySpanExporter; tracerProvider: BasicTracerProvider } {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracerProvider };
}
