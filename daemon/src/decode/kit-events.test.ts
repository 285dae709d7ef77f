import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { toEventSelector, toFunctionSelector, type AbiEvent } from "viem";
import { entryPoint07Abi } from "viem/account-abstraction";
import { DelegationManager as delegationManagerKitAbi } from "@metamask/delegation-abis";
import { describe, expect, test } from "vitest";
import { K, KIT_CONTRACTS, addr, eventLog, hash } from "../../../test/daemon/helpers/kit-facts.js";
import {
  accessControlEventsAbi,
  delegationManagerErrorsAbi,
  delegationManagerEventsAbi,
  entryPointErrorsAbi,
  entryPointEventsAbi,
  erc1967EventsAbi,
  guardedFactoryEventsAbi,
  guardianErrorsAbi,
  hubGovernanceEventsAbi,
  ownableEventsAbi,
} from "./kit-abis.js";
import { decodeKitLogs } from "./kit-events.js";

const delegationStruct = { delegate: K.delegate, delegator: K.alice, authority: `0x${"ff".repeat(32)}`, caveats: [], salt: 1n, signature: "0x" } as const;

describe("decodeKitLogs", () => {
  test("EntryPoint events: operations, deployments, revert reasons, deposits, stake", () => {
    const events = decodeKitLogs(
      [
        eventLog(K.entryPoint, entryPointEventsAbi, "AccountDeployed", { userOpHash: hash(1), sender: K.alice, factory: K.factory, paymaster: K.paymaster }),
        eventLog(K.entryPoint, entryPointEventsAbi, "UserOperationEvent", { userOpHash: hash(1), sender: K.alice, paymaster: K.paymaster, nonce: 5n, success: false, actualGasCost: 7n, actualGasUsed: 9n }, { logIndex: 1 }),
        eventLog(K.entryPoint, entryPointEventsAbi, "UserOperationRevertReason", { userOpHash: hash(1), sender: K.alice, nonce: 5n, revertReason: "0xabcd" }, { logIndex: 2 }),
        eventLog(K.entryPoint, entryPointEventsAbi, "Withdrawn", { account: K.paymaster, withdrawAddress: K.stranger, amount: 10n ** 18n }, { logIndex: 3 }),
        eventLog(K.entryPoint, entryPointEventsAbi, "StakeUnlocked", { account: K.factory, withdrawTime: 99n }, { logIndex: 4 }),
      ],
      KIT_CONTRACTS,
    );
    expect(events.map((e) => e.kind)).toEqual(["ep.accountDeployed", "ep.userOperation", "ep.userOperationRevertReason", "ep.withdrawn", "ep.stakeUnlocked"]);
    expect(events[1]).toMatchObject({ sender: K.alice, paymaster: K.paymaster, nonce: "5", success: false, actualGasCost: "7", actualGasUsed: "9", at: { blockNumber: 10, logIndex: 1 } });
    expect(events[3]).toMatchObject({ account: K.paymaster, withdrawAddress: K.stranger, amount: "1000000000000000000" });
  });

  test("DelegationManager, factory, ownership, roles, proxy and hub governance events", () => {
    const events = decodeKitLogs(
      [
        eventLog(K.dm, delegationManagerEventsAbi, "RedeemedDelegation", { rootDelegator: K.alice, redeemer: K.delegate, delegation: delegationStruct }),
        eventLog(K.dm, delegationManagerEventsAbi, "DisabledDelegation", { delegationHash: hash(2), delegator: K.alice, delegate: K.delegate, delegation: delegationStruct }),
        eventLog(K.factory, guardedFactoryEventsAbi, "Deployed", { addr: K.bob }),
        eventLog(K.dm, ownableEventsAbi, "OwnershipTransferStarted", { previousOwner: K.hub, newOwner: K.stranger }),
        eventLog(K.hub, accessControlEventsAbi, "RoleGranted", { role: hash(3), account: K.stranger, sender: K.deployer }),
        eventLog(K.paymaster, erc1967EventsAbi, "Upgraded", { implementation: K.bob }),
        eventLog(K.hub, hubGovernanceEventsAbi, "LayerTargetsSet", { layer: 1, targets: [K.factory] }),
      ],
      KIT_CONTRACTS,
    );
    expect(events).toMatchObject([
      { kind: "dm.redeemed", rootDelegator: K.alice, redeemer: K.delegate, delegator: K.alice, delegate: K.delegate },
      { kind: "dm.disabled", delegationHash: hash(2), delegator: K.alice },
      { kind: "factory.deployed", factory: K.factory, account: K.bob },
      { kind: "ownership.transferStarted", contract: K.dm, previousOwner: K.hub, newOwner: K.stranger },
      { kind: "roles.granted", contract: K.hub, role: hash(3), account: K.stranger, sender: K.deployer },
      { kind: "proxy.upgraded", contract: K.paymaster, implementation: K.bob },
      { kind: "hub.layerTargetsSet", hub: K.hub, layerId: 1, layer: "accountFactory", targets: [K.factory] },
    ]);
  });

  test("an event is believed only from the contract that emits it", () => {
    const impostor = addr(0x999);
    expect(decodeKitLogs([eventLog(impostor, entryPointEventsAbi, "Withdrawn", { account: K.paymaster, withdrawAddress: K.stranger, amount: 1n })], KIT_CONTRACTS)).toEqual([]);
    // EntryPoint events from the DelegationManager, factory events from the EntryPoint: ignored.
    expect(decodeKitLogs([eventLog(K.dm, entryPointEventsAbi, "Withdrawn", { account: K.paymaster, withdrawAddress: K.stranger, amount: 1n })], KIT_CONTRACTS)).toEqual([]);
    expect(decodeKitLogs([eventLog(K.entryPoint, guardedFactoryEventsAbi, "Deployed", { addr: K.bob })], KIT_CONTRACTS)).toEqual([]);
    // Nothing configured, nothing decoded.
    expect(decodeKitLogs([eventLog(K.hub, accessControlEventsAbi, "RoleGranted", { role: hash(3), account: K.stranger, sender: K.deployer })], {})).toEqual([]);
  });

  test("checksummed configuration matches lowercase logs; unknown topics are skipped", () => {
    const checksummed = { entryPoint: "0x00000000000000000000000000000000000000E9" as const };
    const log = eventLog(K.entryPoint, entryPointEventsAbi, "Deposited", { account: K.paymaster, totalDeposit: 5n });
    expect(decodeKitLogs([log, { ...log, topics: [hash(77)] }], checksummed)).toMatchObject([{ kind: "ep.deposited", totalDeposit: "5" }]);
  });
});

describe("the ABI fragments match the real contracts", () => {
  const shape = (e: AbiEvent) => [e.name, e.inputs.map((i) => [i.type, i.indexed ?? false])];
  test("EntryPoint v0.7 (viem's ABI)", () => {
    const real = new Map((entryPoint07Abi.filter((e) => e.type === "event") as AbiEvent[]).map((e) => [toEventSelector(e), e]));
    for (const e of entryPointEventsAbi as readonly AbiEvent[]) expect(real.has(toEventSelector(e)), e.name).toBe(true);
    const errors = new Set(entryPoint07Abi.filter((e) => e.type === "error").map((e) => toFunctionSelector(e as never)));
    for (const e of entryPointErrorsAbi) expect(errors.has(toFunctionSelector(e as never)), e.name).toBe(true);
  });

  test("the kit's DelegationManager (@metamask/delegation-abis)", () => {
    const events = (delegationManagerKitAbi as readonly { type: string }[]).filter((e) => e.type === "event") as AbiEvent[];
    const selectors = new Map(events.map((e) => [toEventSelector(e), e]));
    for (const e of [...delegationManagerEventsAbi, ...ownableEventsAbi].filter((x) => x.type === "event") as AbiEvent[]) {
      const real = selectors.get(toEventSelector(e));
      expect(real, e.name).toBeDefined();
      expect(shape(real as AbiEvent)[1], e.name).toEqual(shape(e)[1]);
    }
    const errors = new Set((delegationManagerKitAbi as readonly { type: string }[]).filter((e) => e.type === "error").map((e) => toFunctionSelector(e as never)));
    for (const e of delegationManagerErrorsAbi) expect(errors.has(toFunctionSelector(e as never)), e.name).toBe(true);
  });

  const artifact = (name: string) => path.resolve(import.meta.dirname, `../../../artifacts/contracts/${name}.sol/${name}.json`);
  test.skipIf(!existsSync(artifact("GuardianHub")))("Guardian's contracts (compiled artifacts)", () => {
    const abiOf = (name: string) => (JSON.parse(readFileSync(artifact(name), "utf8")) as { abi: Array<{ type: string }> }).abi;
    const hub = abiOf("GuardianHub").filter((e) => e.type === "event") as AbiEvent[];
    for (const e of [...hubGovernanceEventsAbi, ...accessControlEventsAbi] as AbiEvent[]) {
      const real = hub.find((x) => x.name === e.name);
      expect(real, e.name).toBeDefined();
      expect(shape(real as AbiEvent)[1], e.name).toEqual(shape(e)[1]);
    }
    const factory = abiOf("GuardedAccountFactory").filter((e) => e.type === "event") as AbiEvent[];
    expect(factory.some((e) => toEventSelector(e) === toEventSelector(guardedFactoryEventsAbi[0] as AbiEvent))).toBe(true);
    const errors = new Set(["GuardianHub", "GuardedPaymaster", "GuardedAccountFactory"].flatMap((n) => abiOf(n).filter((e) => e.type === "error").map((e) => toFunctionSelector(e as never))));
    for (const e of guardianErrorsAbi) expect(errors.has(toFunctionSelector(e as never)), e.name).toBe(true);
  });
});
