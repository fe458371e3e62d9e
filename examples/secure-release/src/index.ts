export type { SecureReleaseSetup } from './secure-release.js';
export {
  createSecureEngine,
  POLICY_FILE,
  runAs,
  secureRelease,
  setUpSecureRelease,
  verifyAudit,
} from './secure-release.js';
