/* Fake Kubernetes API server (tests) */
export type { FakeExecRecord, FakeKubeApi, FakeKubeApiOptions, FakePod } from './fake-api-server.js';
export { startFakeKubeApi } from './fake-api-server.js';
