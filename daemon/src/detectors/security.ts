/**
 * security: who controls the stack changed.
 *
 * From the watched contracts' events, judged against the accounts the
 * operator trusts (`trusted`: the hub's admin, the guardian Safe, the
 * sentinels, the deployer that owns the paymaster and the factory, the hub)
 * and the owners some contracts must have (`expectedOwners`: by default the
 * DelegationManager must be owned by the hub, or Guardian cannot pause it):
 *
 * - ownership transfer started (Ownable2Step) or done, to an account that is
 *   not trusted, or renounced (to the zero address): Critical (security
 *   breach), key `security:ownership:<contract>`; to a trusted account that
 *   is not the contract's expected owner (the DelegationManager handed from
 *   the hub to the deployer): `ownerNotExpected` (Critical by default: the
 *   delegation layer can no longer be paused), said as it is, naming the
 *   trusted account, not as a transfer to an unknown account. A constructor's
 *   `OwnershipTransferred(0x0 → trusted deployer)` is not a change;
 * - a role granted on the hub to an untrusted account (Critical; High for
 *   SENTINEL_ROLE: a sentinel can only cause a bounded pause), or by an
 *   untrusted sender; a role revoked by an untrusted sender (Critical), or
 *   taken from a trusted account (Medium: a rotation, or a takeover under
 *   way); a role's admin role changed other than the hub's own setup
 *   (Critical); key `security:roles:<hub>`;
 * - an ERC-1967 upgrade, admin or beacon change on a watched contract to an
 *   implementation not in `trustedImplementations`: Critical,
 *   `security:upgrade:<contract>`;
 * - a layer of the hub wired to a contract that is not the layer's known
 *   target (Critical: a pause would not stop the real contract), or unwired
 *   (High: Guardian can no longer pause it), `security:wiring:<hub>`;
 * - the paymaster's or factory's EntryPoint stake unlocked or withdrawn
 *   (High: bundlers stop accepting it once unstaked),
 *   `security:stake:<contract>`.
 *
 * Changes among trusted accounts are expected and report nothing. Stateless;
 * these conditions do not clear by themselves (a person closes the incident).
 */
import { keccak256, toHex } from "viem";
import { LAYERS, type Address, type Finding, type Hex, type Layer, type Severity } from "../types.js";
import type { KitBlock } from "../decode/kit-block.js";
import { LAYERS_OF_ROLE, rolesByAddress, type KitContractRole, type KitContracts, type KitEvent } from "../decode/kit-events.js";
import type { Detector } from "./detector.js";
import { finding } from "./symptom.js";

export const SECURITY = "security";

export interface SecurityThresholds {
  severity: {
    /** A change to or by an account that is not trusted: a security breach. */
    unauthorized: Severity;
    /** SENTINEL_ROLE granted to an untrusted account by a trusted one. */
    sentinelGranted: Severity;
    /** A trusted account lost a role. */
    trustedRoleRevoked: Severity;
    /** A layer of the hub has no targets any more. */
    unwired: Severity;
    /** The paymaster's or factory's stake unlocked or withdrawn. */
    stake: Severity;
    /**
     * A contract with an expected owner (the DelegationManager → the hub) handed to another trusted account: no breach,
     * but Guardian can no longer pause it (Critical by default, like pause-ability's delegation-owner).
     */
    ownerNotExpected: Severity;
  };
}

export const SECURITY_DEFAULTS: SecurityThresholds = {
  severity: { unauthorized: "critical", sentinelGranted: "high", trustedRoleRevoked: "medium", unwired: "high", stake: "high", ownerNotExpected: "critical" },
};

export interface SecurityFacts {
  kit: KitBlock;
  contracts: KitContracts;
  /** Accounts allowed to own, administer and hold roles (any case). */
  trusted: readonly Address[];
  /** Contracts whose owner must be one of the listed accounts (any case); default: the DelegationManager → the hub. */
  expectedOwners?: Readonly<Record<string, readonly Address[]>>;
  /** Implementations a watched proxy may be upgraded to. */
  trustedImplementations?: readonly Address[];
  /** What each trusted account is, for the texts (e.g. "the deployer"); any case. */
  trustedNames?: Readonly<Record<string, string>>;
}

export type SecurityState = Record<string, never>;

/** GuardianHub's roles (OpenZeppelin AccessControl). */
export const HUB_ROLES: Readonly<Record<string, Hex>> = {
  DEFAULT_ADMIN_ROLE: `0x${"00".repeat(32)}`,
  GUARDIAN_ROLE: keccak256(toHex("GUARDIAN_ROLE")),
  SENTINEL_ROLE: keccak256(toHex("SENTINEL_ROLE")),
};
const ROLE_NAMES = new Map(Object.entries(HUB_ROLES).map(([name, id]) => [id.toLowerCase(), name]));
const roleName = (role: Hex) => ROLE_NAMES.get(role.toLowerCase()) ?? role;
/** The hub's constructor makes GUARDIAN_ROLE the admin of SENTINEL_ROLE: that change is expected. */
const EXPECTED_ROLE_ADMINS = new Map([[HUB_ROLES.SENTINEL_ROLE!.toLowerCase(), HUB_ROLES.GUARDIAN_ROLE!.toLowerCase()]]);
const ZERO: Address = `0x${"0".repeat(40)}`;

export const security: Detector<SecurityFacts, SecurityState, SecurityThresholds> = (facts, state, t) => {
  const { kit } = facts;
  const roles = rolesByAddress(facts.contracts);
  const trusted = new Set(facts.trusted.map((a) => a.toLowerCase()));
  const hub = facts.contracts.hub?.toLowerCase() as Address | undefined;
  const dm = facts.contracts.delegationManager?.toLowerCase();
  const expectedOwners = new Map<string, Set<string>>(
    Object.entries(facts.expectedOwners ?? (dm && hub ? { [dm]: [hub] } : {})).map(([c, owners]) => [c.toLowerCase(), new Set(owners.map((o) => o.toLowerCase()))]),
  );
  const implementations = new Set((facts.trustedImplementations ?? []).map((a) => a.toLowerCase()));
  const trustedNames = new Map(Object.entries(facts.trustedNames ?? {}).map(([a, n]) => [a.toLowerCase(), n]));
  const who = (account: Address) => (trustedNames.has(account) ? `${account} (${trustedNames.get(account)})` : account);
  const findings: Finding[] = [];
  const layersOf = (contract: Address): Layer[] => {
    const role = roles.get(contract);
    return role ? [...LAYERS_OF_ROLE[role]] : [...LAYERS];
  };
  const name = (contract: Address) => describeContract(roles.get(contract), contract);
  const report = (e: KitEvent, key: string, severity: Severity, title: string, summary: string, contract: Address, values: Record<string, string | number | boolean>) =>
    findings.push(
      finding({
        detector: SECURITY,
        key,
        severity,
        title,
        summary,
        layers: layersOf(contract),
        contracts: [contract],
        evidence: { blockNumber: e.at.blockNumber, blockHash: e.at.blockHash, txHash: e.at.txHash, logIndex: e.at.logIndex, values },
        observedAt: kit.observedAt,
      }),
    );

  for (const e of kit.events) {
    switch (e.kind) {
      case "ownership.transferStarted":
      case "ownership.transferred": {
        const started = e.kind === "ownership.transferStarted";
        const allowed = expectedOwners.get(e.contract);
        const construction = !started && e.previousOwner === ZERO && trusted.has(e.newOwner);
        const fine = e.newOwner !== ZERO && (allowed ? allowed.has(e.newOwner) : trusted.has(e.newOwner));
        if (construction || fine) break;
        const renounced = e.newOwner === ZERO;
        if (!renounced && allowed && trusted.has(e.newOwner)) {
          // A trusted account, but not the owner this contract must have (the hub handing the DelegationManager back).
          report(
            e,
            `${SECURITY}:ownership:${e.contract}`,
            t.severity.ownerNotExpected,
            started
              ? `Ownership transfer of ${name(e.contract)} started to a trusted account other than its expected owner`
              : `Ownership of ${name(e.contract)} moved to a trusted account other than its expected owner`,
            `${name(e.contract)} ${e.contract} ${started ? "offered its ownership" : "transferred its ownership"} from ${who(e.previousOwner)} to ${who(e.newOwner)}, ` +
              `a trusted account but not its expected owner (${[...allowed].map((a) => who(a as Address)).join(", ")}). ` +
              (started ? "Until accepted it can still be cancelled by the current owner; once accepted, " : "") +
              `Guardian can no longer pause ${name(e.contract)}: check the hand-over was planned (transferTargetOwnership after unwiring its layer), and give it back to the hub when done.`,
            e.contract,
            { contract: e.contract, previousOwner: e.previousOwner, newOwner: e.newOwner, pending: started, trusted: true },
          );
          break;
        }
        report(
          e,
          `${SECURITY}:ownership:${e.contract}`,
          t.severity.unauthorized,
          renounced ? `Ownership of ${name(e.contract)} renounced` : started ? `Ownership transfer of ${name(e.contract)} started to an unknown account` : `Ownership of ${name(e.contract)} moved to an unknown account`,
          renounced
            ? `${name(e.contract)} ${e.contract} renounced its ownership (previous owner ${who(e.previousOwner)}): nobody can manage or pause it any more.`
            : `${name(e.contract)} ${e.contract} ${started ? "offered its ownership" : "transferred its ownership"} from ${who(e.previousOwner)} to ${e.newOwner}, ` +
                `which is not ${allowed ? `its expected owner (${[...allowed].map((a) => who(a as Address)).join(", ")})` : "a trusted account"}. ` +
                (started ? "Until accepted it can still be cancelled by the current owner. " : "") +
                "A compromised owner key can withdraw funds or change the contract's behaviour: treat as a breach.",
          e.contract,
          { contract: e.contract, previousOwner: e.previousOwner, newOwner: e.newOwner, pending: started },
        );
        break;
      }
      case "roles.granted": {
        const senderTrusted = trusted.has(e.sender);
        if (trusted.has(e.account) && senderTrusted) break;
        const sentinelOnly = senderTrusted && roleName(e.role) === "SENTINEL_ROLE";
        report(
          e,
          `${SECURITY}:roles:${e.contract}`,
          sentinelOnly ? t.severity.sentinelGranted : t.severity.unauthorized,
          `${roleName(e.role)} granted to ${trusted.has(e.account) ? "a trusted account by an unknown one" : "an unknown account"}`,
          `${name(e.contract)} ${e.contract} granted ${roleName(e.role)} to ${e.account} (sent by ${e.sender}). ` +
            (senderTrusted ? "" : `The sender ${e.sender} is not trusted yet holds an admin role. `) +
            (sentinelOnly
              ? "A sentinel can pause layers for a bounded time: check the rotation was planned, and add the key to the trusted accounts."
              : "Whoever holds this role can pause, unpause or rewire the circuit breaker: treat as a breach."),
          e.contract,
          { role: roleName(e.role), account: e.account, sender: e.sender },
        );
        break;
      }
      case "roles.revoked": {
        const byOther = e.sender !== e.account;
        if (byOther && !trusted.has(e.sender)) {
          report(e, `${SECURITY}:roles:${e.contract}`, t.severity.unauthorized, `${roleName(e.role)} revoked by an unknown account`,
            `${name(e.contract)} ${e.contract}: ${e.sender}, which is not trusted, revoked ${roleName(e.role)} from ${e.account}. An unknown account holds an admin role: treat as a breach.`,
            e.contract, { role: roleName(e.role), account: e.account, sender: e.sender });
        } else if (trusted.has(e.account)) {
          report(e, `${SECURITY}:roles:${e.contract}`, t.severity.trustedRoleRevoked, `${roleName(e.role)} taken from a trusted account`,
            `${name(e.contract)} ${e.contract}: ${e.account} ${byOther ? `lost ${roleName(e.role)} (revoked by ${e.sender})` : `renounced ${roleName(e.role)}`}. ` +
              "Check that the change was planned: the circuit breaker's governance is smaller now.",
            e.contract, { role: roleName(e.role), account: e.account, sender: e.sender });
        }
        break;
      }
      case "roles.adminChanged": {
        if (EXPECTED_ROLE_ADMINS.get(e.role.toLowerCase()) === e.newAdminRole.toLowerCase()) break;
        report(e, `${SECURITY}:roles:${e.contract}`, t.severity.unauthorized, `Admin role of ${roleName(e.role)} changed`,
          `${name(e.contract)} ${e.contract} made ${roleName(e.newAdminRole)} the admin of ${roleName(e.role)} (was ${roleName(e.previousAdminRole)}): who may grant it changed.`,
          e.contract, { role: roleName(e.role), previousAdminRole: roleName(e.previousAdminRole), newAdminRole: roleName(e.newAdminRole) });
        break;
      }
      case "proxy.upgraded":
      case "proxy.beaconUpgraded":
      case "proxy.adminChanged": {
        const target = e.kind === "proxy.upgraded" ? e.implementation : e.kind === "proxy.beaconUpgraded" ? e.beacon : e.newAdmin;
        if (implementations.has(target)) break;
        const what = e.kind === "proxy.upgraded" ? "upgraded to implementation" : e.kind === "proxy.beaconUpgraded" ? "switched to beacon" : "got a new proxy admin";
        const title = e.kind === "proxy.upgraded" ? "upgraded" : e.kind === "proxy.beaconUpgraded" ? "switched to another beacon" : "got a new proxy admin";
        report(e, `${SECURITY}:upgrade:${e.contract}`, t.severity.unauthorized, `${capitalize(name(e.contract))} ${title} unexpectedly`,
          `${name(e.contract)} ${e.contract} ${what} ${target}, which is not a trusted implementation: its code or control changed. Treat as a breach until the change is verified.`,
          e.contract, { contract: e.contract, [e.kind === "proxy.adminChanged" ? "newAdmin" : "implementation"]: target });
        break;
      }
      case "hub.layerTargetsSet": {
        const layer = e.layer;
        const known = e.targets.filter((target) => {
          const role = roles.get(target);
          return role !== undefined && role !== "hub" && layer !== undefined && LAYERS_OF_ROLE[role].includes(layer);
        });
        const layerName = layer ?? `layer-${e.layerId}`;
        if (e.targets.length === 0) {
          report(e, `${SECURITY}:wiring:${e.hub}`, t.severity.unwired, `${layerName} layer unwired`,
            `GuardianHub ${e.hub} removed every target of the ${layerName} layer: Guardian can no longer pause it.`, e.hub, { layer: e.layerId, targets: "" });
        } else if (known.length < e.targets.length) {
          const unknown = e.targets.filter((target) => !known.includes(target));
          findings.push(
            finding({
              detector: SECURITY,
              key: `${SECURITY}:wiring:${e.hub}`,
              severity: t.severity.unauthorized,
              title: `${layerName} layer wired to an unknown contract`,
              summary: `GuardianHub ${e.hub} wired the ${layerName} layer to ${unknown.join(", ")}, not the layer's known contract: pausing the layer would not stop the real one.`,
              layers: layer ? [layer] : [...LAYERS],
              contracts: [e.hub, ...unknown],
              evidence: { blockNumber: e.at.blockNumber, blockHash: e.at.blockHash, txHash: e.at.txHash, logIndex: e.at.logIndex, values: { layer: e.layerId, targets: e.targets.join(",") } },
              observedAt: kit.observedAt,
            }),
          );
        }
        break;
      }
      case "ep.stakeUnlocked":
      case "ep.stakeWithdrawn": {
        const role = roles.get(e.account);
        if (role !== "paymaster" && role !== "accountFactory") break;
        const unlocked = e.kind === "ep.stakeUnlocked";
        report(e, `${SECURITY}:stake:${e.account}`, t.severity.stake, `${capitalize(describeContract(role, e.account))} ${unlocked ? "unstaking" : "stake withdrawn"}`,
          `The EntryPoint reports that ${describeContract(role, e.account)} ${e.account} ${unlocked ? `unlocked its stake (withdrawable at ${e.withdrawTime})` : `withdrew its stake (${e.amount} wei to ${e.withdrawAddress})`}. ` +
            "Bundlers accept an unstaked paymaster or factory only under strict limits: sponsored operations or account creation will start failing.",
          e.account, unlocked ? { withdrawTime: e.withdrawTime } : { amount: e.amount, withdrawAddress: e.withdrawAddress });
        break;
      }
      default:
        break;
    }
  }
  return { findings, nextState: state };
};

function describeContract(role: KitContractRole | undefined, address: Address): string {
  switch (role) {
    case "paymaster":
      return "the paymaster";
    case "accountFactory":
      return "the account factory";
    case "delegationManager":
      return "the DelegationManager";
    case "hub":
      return "the GuardianHub";
    case "entryPoint":
      return "the EntryPoint";
    default:
      return `contract ${address}`;
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
