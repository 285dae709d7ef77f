export { ConfigError } from "./errors.js";
export { loadConfig, disclosureApprovers, missingBundlerUrls, readProcessEnv, CONFIG_ENV, DATA_DIR_ENV, DEFAULT_DATA_DIR } from "./load.js";
export type { GuardianConfig, LoadConfigParameters, Env, Contact, RpcEndpointConfig } from "./load.js";
export { Secret } from "./secret.js";
export { redactLogFields, redactUrl, redactUrls } from "./redact.js";
export { ADMIN_TOKEN_ENV, SENTINEL_KEY_ENV, WEBHOOK_ENV_PREFIX, webhookEnvName, type Secrets } from "./secrets.js";
export { PRESETS } from "./presets.js";
export { PRESET_NAMES, addressProblem, addressSchema, isLoopbackHost, type PresetName } from "./schema.js";
export { formatIssues, formatPath, describeValue } from "./issues.js";
export {
  loadDeployments,
  canonicalDeploymentName,
  DEPLOYMENT_NAMES,
  LAYERS_OF,
  type Deployments,
  type DeploymentName,
} from "./deployments.js";
