/* Errors */

/* Virtual time (the engine's injectable clock lives in core; re-exported here for test authors) */
export type { VirtualClock } from '@flowlane/core';
export { createVirtualClock } from '@flowlane/core';
/* Test helpers */
export type { CloseDuringSetup } from './close-during-setup.js';
export { closeDuringSetup } from './close-during-setup.js';
/* Conformance suites */
export type {
  CacheStoreConformanceContext,
  CacheStoreConformanceOptions,
} from './conformance/cache-store-conformance.js';
export { CACHE_VALUES, cacheStoreConformance } from './conformance/cache-store-conformance.js';
export type { ExecutionStoreConformanceOptions } from './conformance/execution-store-conformance.js';
export { executionStoreConformance } from './conformance/execution-store-conformance.js';
export type {
  CommandSpec,
  ExecutorConformanceCommands,
  ExecutorConformanceOptions,
  ExecutorFeature,
  UnsupportedExecutorFeatures,
} from './conformance/executor-conformance.js';
export { EXECUTOR_FEATURES, executorConformance, HOSTILE_TEXT } from './conformance/executor-conformance.js';
export type { FlowControlConformanceOptions } from './conformance/flow-control-conformance.js';
export { flowControlBackendConformance } from './conformance/flow-control-conformance.js';
export type { PackageConformanceOptions } from './conformance/package-conformance.js';
export { checkPackage, packageConformance, README_SECTIONS } from './conformance/package-conformance.js';
export type { SchedulerConformanceOptions } from './conformance/scheduler-conformance.js';
export { admissionRequest, schedulerConformance } from './conformance/scheduler-conformance.js';
export type { StateStoreConformanceOptions } from './conformance/state-store-conformance.js';
export { STATE_VALUES, stateStoreConformance } from './conformance/state-store-conformance.js';
export type { DocSnippetsOptions } from './doc-snippets.js';
export { docSnippetsSuite } from './doc-snippets.js';
export type { TestingErrorCode } from './errors.js';
export { ServiceStartError, ServiceUnavailableError, TestingErrorCodes } from './errors.js';
export { createEventSourceScheduler } from './event-scheduler.js';
/* Fake Kubernetes API server */
export { startFakeKubeApi } from './fake-kube-api/start-fake-kube-api.js';
export type {
  FakeExecRecord,
  FakeJob,
  FakeJobOptions,
  FakeJobRecord,
  FakeKubeApi,
  FakeKubeApiOptions,
  FakePod,
  FakePodState,
  FakeRequestRecord,
  FakeSecret,
  FakeSecretState,
} from './fake-kube-api/types.js';
/* Browser, HTTP and SMTP receivers (monitor dashboard, alert channels, OTLP exporters) */
export type { BrowserService, LaunchBrowserOptions } from './launch-browser.js';
export { launchBrowser } from './launch-browser.js';
export type { RunningServiceProcess } from './process.js';
export { runningServiceProcesses } from './process.js';
/* Seeded randomness */
export { seededRandom } from './seeded-random.js';
/* Service lifecycle */
export type { ServiceHandle } from './service-handle.js';
export type { DockerService, StartDockerOptions } from './start-docker.js';
/* Docker */
export { startDocker } from './start-docker.js';
export type { HttpReceiver, HttpReceiverOptions, ReceivedRequest } from './start-http-receiver.js';
export { startHttpReceiver } from './start-http-receiver.js';
export type {
  PrometheusSample,
  PrometheusService,
  PrometheusWaitOptions,
  StartPrometheusOptions,
} from './start-prometheus.js';
/* Prometheus */
export { startPrometheus } from './start-prometheus.js';
export type { RedisService, StartRedisOptions } from './start-redis.js';
/* Redis */
export { startRedis } from './start-redis.js';
export type { ReceivedMail, SmtpService, StartSmtpServerOptions } from './start-smtp-server.js';
export { startSmtpServer } from './start-smtp-server.js';
export type { SshdService, StartSshdOptions } from './start-sshd.js';
/* SSH */
export { startSshd } from './start-sshd.js';
export type { StatsdListener, WaitForLinesOptions } from './start-statsd-listener.js';
/* StatsD */
export { startStatsdListener } from './start-statsd-listener.js';
export { useEngines } from './use-engines.js';
