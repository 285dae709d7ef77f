/**
 * Raw logs of the kit's and Guardian's contracts → typed `KitEvent`s. Pure.
 *
 * Like decodeLogs (events.ts), each event is believed only from the contract
 * that emits it: EntryPoint events only from the configured EntryPoint,
 * delegation events only from the DelegationManager, `Deployed` only from the
 * guarded factory, the hub's governance events only from the hub. Ownership,
 * role and proxy events are decoded from every configured contract (any of
 * them may be Ownable, AccessControl or a proxy). Pausable's Paused/Unpaused
 * are decodeLogs' business. Unknown logs are skipped.
 */
import { decodeEventLog, toEventSelector, type Abi, type AbiEvent } from "viem";
import { LAYERS, type Address, type ChainLog, type Hex, type Layer, type LogPosition } from "../types.js";
import {
  accessControlEventsAbi,
  delegationManagerEventsAbi,
  entryPointEventsAbi,
  erc1967EventsAbi,
  guardedFactoryEventsAbi,
  hubGovernanceEventsAbi,
  ownableEventsAbi,
} from "./kit-abis.js";

/**
 * The deployed contracts the daemon watches, by role (addresses lowercase or
 * checksummed). The same keys as config/deployments.ts `Deployments`, so the
 * wiring can pass what `loadDeployments` returns.
 */
export interface KitContracts {
  entryPoint?: Address;
  accountFactory?: Address;
  delegationManager?: Address;
  paymaster?: Address;
  hub?: Address;
}

export type KitContractRole = keyof KitContracts;

/** The layers a watched contract belongs to (the hub guards all three). */
export const LAYERS_OF_ROLE: Readonly<Record<KitContractRole, readonly Layer[]>> = {
  entryPoint: ["entryPoint"],
  paymaster: ["entryPoint"],
  accountFactory: ["accountFactory"],
  delegationManager: ["delegation"],
  hub: LAYERS,
};

/** A decoded event of the kit or of Guardian's governance. JSON; uint256 values as decimal strings, addresses lowercase. */
export type KitEvent =
  | {
      kind: "ep.userOperation";
      userOpHash: Hex;
      sender: Address;
      paymaster: Address;
      nonce: string;
      success: boolean;
      actualGasCost: string;
      actualGasUsed: string;
      at: LogPosition;
    }
  | { kind: "ep.accountDeployed"; userOpHash: Hex; sender: Address; factory: Address; paymaster: Address; at: LogPosition }
  | { kind: "ep.userOperationRevertReason"; userOpHash: Hex; sender: Address; nonce: string; revertReason: Hex; at: LogPosition }
  | { kind: "ep.postOpRevertReason"; userOpHash: Hex; sender: Address; nonce: string; revertReason: Hex; at: LogPosition }
  | { kind: "ep.prefundTooLow"; userOpHash: Hex; sender: Address; nonce: string; at: LogPosition }
  | { kind: "ep.deposited"; account: Address; totalDeposit: string; at: LogPosition }
  | { kind: "ep.withdrawn"; account: Address; withdrawAddress: Address; amount: string; at: LogPosition }
  | { kind: "ep.stakeLocked"; account: Address; totalStaked: string; unstakeDelaySec: string; at: LogPosition }
  | { kind: "ep.stakeUnlocked"; account: Address; withdrawTime: string; at: LogPosition }
  | { kind: "ep.stakeWithdrawn"; account: Address; withdrawAddress: Address; amount: string; at: LogPosition }
  | { kind: "dm.redeemed"; rootDelegator: Address; redeemer: Address; delegator: Address; delegate: Address; at: LogPosition }
  | { kind: "dm.enabled" | "dm.disabled"; delegationHash: Hex; delegator: Address; delegate: Address; at: LogPosition }
  | { kind: "factory.deployed"; factory: Address; account: Address; at: LogPosition }
  | { kind: "ownership.transferStarted" | "ownership.transferred"; contract: Address; previousOwner: Address; newOwner: Address; at: LogPosition }
  | { kind: "roles.granted" | "roles.revoked"; contract: Address; role: Hex; account: Address; sender: Address; at: LogPosition }
  | { kind: "roles.adminChanged"; contract: Address; role: Hex; previousAdminRole: Hex; newAdminRole: Hex; at: LogPosition }
  | { kind: "proxy.upgraded"; contract: Address; implementation: Address; at: LogPosition }
  | { kind: "proxy.beaconUpgraded"; contract: Address; beacon: Address; at: LogPosition }
  | { kind: "proxy.adminChanged"; contract: Address; previousAdmin: Address; newAdmin: Address; at: LogPosition }
  | { kind: "hub.layerTargetsSet"; hub: Address; layerId: number; layer?: Layer; targets: Address[]; at: LogPosition }
  | { kind: "hub.targetOwnershipAccepted"; hub: Address; target: Address; at: LogPosition }
  | { kind: "hub.targetOwnershipTransferStarted"; hub: Address; target: Address; newOwner: Address; at: LogPosition }
  | { kind: "hub.sentinelBoundsSet"; hub: Address; pauseDuration: string; cooldown: string; at: LogPosition };

export type KitEventKind = KitEvent["kind"];

const selectorsOf = (abi: Abi) => new Set<Hex>(abi.filter((e) => e.type === "event").map((e) => toEventSelector(e as AbiEvent)));
const entryPointSelectors = selectorsOf(entryPointEventsAbi);
const dmSelectors = selectorsOf(delegationManagerEventsAbi);
const factorySelectors = selectorsOf(guardedFactoryEventsAbi);
const hubSelectors = selectorsOf(hubGovernanceEventsAbi);
const ownableSelectors = selectorsOf(ownableEventsAbi);
const accessSelectors = selectorsOf(accessControlEventsAbi);
const proxySelectors = selectorsOf(erc1967EventsAbi);

/** The configured contracts by lowercase address → role. */
export function rolesByAddress(contracts: KitContracts): Map<Address, KitContractRole> {
  const out = new Map<Address, KitContractRole>();
  for (const [role, address] of Object.entries(contracts) as Array<[KitContractRole, Address | undefined]>) {
    if (address) out.set(address.toLowerCase() as Address, role);
  }
  return out;
}

/** Decodes the kit's and Guardian's governance events among `logs`, in the order given. */
export function decodeKitLogs(logs: readonly ChainLog[], contracts: KitContracts): KitEvent[] {
  const roles = rolesByAddress(contracts);
  const out: KitEvent[] = [];
  for (const log of logs) {
    const address = log.address.toLowerCase() as Address;
    const role = roles.get(address);
    const topic0 = log.topics[0]?.toLowerCase() as Hex | undefined;
    if (!role || !topic0) continue;
    let abi: Abi | undefined;
    if (role === "entryPoint" && entryPointSelectors.has(topic0)) abi = entryPointEventsAbi;
    else if (role === "delegationManager" && dmSelectors.has(topic0)) abi = delegationManagerEventsAbi;
    else if (role === "accountFactory" && factorySelectors.has(topic0)) abi = guardedFactoryEventsAbi;
    else if (role === "hub" && hubSelectors.has(topic0)) abi = hubGovernanceEventsAbi;
    else if (ownableSelectors.has(topic0)) abi = ownableEventsAbi;
    else if (accessSelectors.has(topic0)) abi = accessControlEventsAbi;
    else if (proxySelectors.has(topic0)) abi = erc1967EventsAbi;
    if (!abi) continue;
    let decoded: { eventName: string; args: Record<string, unknown> };
    try {
      decoded = decodeEventLog({ abi, data: log.data, topics: log.topics as [Hex, ...Hex[]], strict: true }) as never;
    } catch {
      continue; // same selector, another shape: not the event we know
    }
    const event = toKitEvent(decoded.eventName, decoded.args, address, position(log));
    if (event) out.push(event);
  }
  return out;
}

function position(log: ChainLog): LogPosition {
  return {
    blockNumber: Number(log.blockNumber),
    blockHash: log.blockHash.toLowerCase() as Hex,
    txHash: log.transactionHash.toLowerCase() as Hex,
    logIndex: log.logIndex,
  };
}

const lower = (v: unknown) => String(v).toLowerCase() as Address;
const dec = (v: unknown) => (typeof v === "bigint" ? v.toString() : String(v));

function toKitEvent(name: string, a: Record<string, unknown>, contract: Address, at: LogPosition): KitEvent | undefined {
  switch (name) {
    case "UserOperationEvent":
      return {
        kind: "ep.userOperation",
        userOpHash: lower(a.userOpHash),
        sender: lower(a.sender),
        paymaster: lower(a.paymaster),
        nonce: dec(a.nonce),
        success: a.success === true,
        actualGasCost: dec(a.actualGasCost),
        actualGasUsed: dec(a.actualGasUsed),
        at,
      };
    case "AccountDeployed":
      return { kind: "ep.accountDeployed", userOpHash: lower(a.userOpHash), sender: lower(a.sender), factory: lower(a.factory), paymaster: lower(a.paymaster), at };
    case "UserOperationRevertReason":
    case "PostOpRevertReason":
      return {
        kind: name === "UserOperationRevertReason" ? "ep.userOperationRevertReason" : "ep.postOpRevertReason",
        userOpHash: lower(a.userOpHash),
        sender: lower(a.sender),
        nonce: dec(a.nonce),
        revertReason: lower(a.revertReason),
        at,
      };
    case "UserOperationPrefundTooLow":
      return { kind: "ep.prefundTooLow", userOpHash: lower(a.userOpHash), sender: lower(a.sender), nonce: dec(a.nonce), at };
    case "Deposited":
      return { kind: "ep.deposited", account: lower(a.account), totalDeposit: dec(a.totalDeposit), at };
    case "Withdrawn":
      return { kind: "ep.withdrawn", account: lower(a.account), withdrawAddress: lower(a.withdrawAddress), amount: dec(a.amount), at };
    case "StakeLocked":
      return { kind: "ep.stakeLocked", account: lower(a.account), totalStaked: dec(a.totalStaked), unstakeDelaySec: dec(a.unstakeDelaySec), at };
    case "StakeUnlocked":
      return { kind: "ep.stakeUnlocked", account: lower(a.account), withdrawTime: dec(a.withdrawTime), at };
    case "StakeWithdrawn":
      return { kind: "ep.stakeWithdrawn", account: lower(a.account), withdrawAddress: lower(a.withdrawAddress), amount: dec(a.amount), at };
    case "RedeemedDelegation": {
      const d = a.delegation as { delegator: string; delegate: string };
      return { kind: "dm.redeemed", rootDelegator: lower(a.rootDelegator), redeemer: lower(a.redeemer), delegator: lower(d.delegator), delegate: lower(d.delegate), at };
    }
    case "EnabledDelegation":
    case "DisabledDelegation":
      return {
        kind: name === "EnabledDelegation" ? "dm.enabled" : "dm.disabled",
        delegationHash: lower(a.delegationHash),
        delegator: lower(a.delegator),
        delegate: lower(a.delegate),
        at,
      };
    case "Deployed":
      return { kind: "factory.deployed", factory: contract, account: lower(a.addr), at };
    case "OwnershipTransferStarted":
    case "OwnershipTransferred":
      return {
        kind: name === "OwnershipTransferStarted" ? "ownership.transferStarted" : "ownership.transferred",
        contract,
        previousOwner: lower(a.previousOwner),
        newOwner: lower(a.newOwner),
        at,
      };
    case "RoleGranted":
    case "RoleRevoked":
      return { kind: name === "RoleGranted" ? "roles.granted" : "roles.revoked", contract, role: lower(a.role), account: lower(a.account), sender: lower(a.sender), at };
    case "RoleAdminChanged":
      return { kind: "roles.adminChanged", contract, role: lower(a.role), previousAdminRole: lower(a.previousAdminRole), newAdminRole: lower(a.newAdminRole), at };
    case "Upgraded":
      return { kind: "proxy.upgraded", contract, implementation: lower(a.implementation), at };
    case "BeaconUpgraded":
      return { kind: "proxy.beaconUpgraded", contract, beacon: lower(a.beacon), at };
    case "AdminChanged":
      return { kind: "proxy.adminChanged", contract, previousAdmin: lower(a.previousAdmin), newAdmin: lower(a.newAdmin), at };
    case "LayerTargetsSet": {
      const layerId = Number(a.layer);
      const layer = LAYERS[layerId];
      return { kind: "hub.layerTargetsSet", hub: contract, layerId, ...(layer ? { layer } : {}), targets: (a.targets as string[]).map(lower), at };
    }
    case "TargetOwnershipAccepted":
      return { kind: "hub.targetOwnershipAccepted", hub: contract, target: lower(a.target), at };
    case "TargetOwnershipTransferStarted":
      return { kind: "hub.targetOwnershipTransferStarted", hub: contract, target: lower(a.target), newOwner: lower(a.newOwner), at };
    case "SentinelBoundsSet":
      return { kind: "hub.sentinelBoundsSet", hub: contract, pauseDuration: dec(a.pauseDuration), cooldown: dec(a.cooldown), at };
  }
  return undefined;
}
