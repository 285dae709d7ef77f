/**
 * What the kit detectors need to know about a deployment: the contracts by
 * role and who may govern them. Pure; built by the wiring from the
 * deployments file with `kitWatchConfig`.
 */
import type { KitContracts } from "../decode/kit-events.js";
import type { Address } from "../types.js";

export interface KitWatchConfig {
  /** The watched contracts by role. */
  contracts: KitContracts;
  /**
   * Accounts allowed to own the contracts, hold the hub's roles and receive
   * the paymaster's deposit: the hub's admin, the guardian Safe, the
   * sentinels, the deployer (owner of the paymaster and the factory), the hub.
   */
  trusted: readonly Address[];
  /** Contracts whose owner must be one of these accounts; default: the DelegationManager → the hub. */
  expectedOwners?: Readonly<Record<string, readonly Address[]>>;
  /** Implementations a watched proxy may be upgraded to (none of the stack's contracts is a proxy today). */
  trustedImplementations?: readonly Address[];
  /** What each trusted account is ("the deployer", "the guardian Safe"...), lowercase keys, for findings' texts. */
  trustedNames?: Readonly<Record<string, string>>;
}

/** The fields of `deployments/<chainId>.json` (daemon/src/deploy/deployments.ts) this needs. */
export interface DeploymentRoles {
  deployer: Address;
  kit: { EntryPoint: Address; DelegationManager: Address };
  guardian: { hub: Address; paymaster: Address; accountFactory: Address; safe: Address };
  roles: { admin: Address; guardian: Address; sentinels: readonly Address[] };
}

/**
 * The kit detectors' view of a deployment.
 *
 * @example
 * const pipeline: PipelineConfig = { chainId, blockTimeMs, decode, kit: kitWatchConfig(readDeployment(file)) };
 */
export function kitWatchConfig(d: DeploymentRoles, extraTrusted: readonly Address[] = []): KitWatchConfig {
  const lower = (a: Address) => a.toLowerCase() as Address;
  const trusted = [d.deployer, d.roles.admin, d.roles.guardian, ...d.roles.sentinels, d.guardian.hub, d.guardian.safe, ...extraTrusted].map(lower);
  return {
    contracts: {
      entryPoint: lower(d.kit.EntryPoint),
      accountFactory: lower(d.guardian.accountFactory),
      delegationManager: lower(d.kit.DelegationManager),
      paymaster: lower(d.guardian.paymaster),
      hub: lower(d.guardian.hub),
    },
    trusted: [...new Set(trusted)],
    trustedNames: Object.fromEntries(
      (
        [
          ...d.roles.sentinels.map((a) => [a, "a sentinel"] as const),
          [d.roles.guardian, "the guardian"],
          [d.roles.admin, "the hub's admin"],
          [d.guardian.safe, "the guardian Safe"],
          [d.guardian.hub, "the GuardianHub"],
          [d.deployer, "the deployer"],
        ] as const
      ).map(([a, n]) => [lower(a), n]),
    ),
    expectedOwners: { [lower(d.kit.DelegationManager)]: [lower(d.guardian.hub)] },
  };
}
