import { createMemoryFlowControlBackend } from '@flowlane/core';
import { flowControlBackendConformance } from './flow-control-conformance.js';

flowControlBackendConformance('createMemoryFlowControlBackend', () => createMemoryFlowControlBackend());
