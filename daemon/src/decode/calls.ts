/**
 * Transaction inputs of watched contracts → what was asked for. Pure.
 *
 * A reverted transaction emits no logs, so its input is all there is to say
 * which operations a failed bundle carried (and which of them were account
 * creations), or how much value a redemption tried to move.
 */
import { decodeAbiParameters, decodeFunctionData, hexToBigInt, parseAbi, size, slice, toFunctionSelector } from "viem";
import type { Address, Hex } from "../types.js";
import { delegationManagerCallsAbi, entryPointCallsAbi } from "./kit-abis.js";

/** One user operation of a bundle, as far as the detectors care. */
export interface BundledOp {
  sender: Address;
  nonce: string;
  /** The op carries initCode: it asks the EntryPoint to create its account. */
  creates: boolean;
  /** initCode's first 20 bytes. */
  factory?: Address;
  /** paymasterAndData's first 20 bytes. */
  paymaster?: Address;
  verificationGasLimit: string;
  callGasLimit: string;
  /** What the op's callData asks the account to call; absent when the account's call shape is not known. */
  calls?: AccountCalls;
}

/** The calls a smart account's `callData` makes. */
export interface AccountCalls {
  /** Targets of the executions, lowercase, in order. */
  targets: Address[];
  /** The account's own `redeemDelegations` (DeleGatorCore): it calls the DelegationManager. */
  redeems: boolean;
}

/** The operations of a `handleOps` / `handleAggregatedOps` input, in bundle order (the EntryPoint's op indexes); undefined for other inputs. */
export function decodeBundle(input: Hex): BundledOp[] | undefined {
  let decoded;
  try {
    decoded = decodeFunctionData({ abi: entryPointCallsAbi, data: input });
  } catch {
    return undefined;
  }
  const packed =
    decoded.functionName === "handleOps"
      ? decoded.args[0]
      : decoded.args[0].flatMap((group) => group.userOps);
  return packed.map((op) => {
    const out: BundledOp = {
      sender: op.sender.toLowerCase() as Address,
      nonce: op.nonce.toString(),
      creates: size(op.initCode) > 0,
      verificationGasLimit: hexToBigInt(slice(op.accountGasLimits, 0, 16)).toString(),
      callGasLimit: hexToBigInt(slice(op.accountGasLimits, 16, 32)).toString(),
    };
    if (size(op.initCode) >= 20) out.factory = slice(op.initCode, 0, 20).toLowerCase() as Address;
    if (size(op.paymasterAndData) >= 20) out.paymaster = slice(op.paymasterAndData, 0, 20).toLowerCase() as Address;
    const calls = accountCalls(op.callData);
    if (calls) out.calls = calls;
    return out;
  });
}

/**
 * The account call shapes the daemon reads: the kit's DeleGators
 * (`execute(ModeCode,bytes)` ERC-7579 single/batch, `execute(Execution)`,
 * `redeemDelegations`) and the common `execute(address,uint256,bytes)` /
 * `executeBatch(...)` of other ERC-4337 accounts.
 */
const accountCallsAbi = parseAbi([
  "struct Execution { address target; uint256 value; bytes callData; }",
  "function execute(bytes32 mode, bytes executionCalldata)",
  "function execute(Execution execution)",
  "function execute(address dest, uint256 value, bytes func)",
  "function executeBatch(Execution[] executions)",
  "function executeBatch(address[] dest, uint256[] value, bytes[] func)",
  "function executeBatch(address[] dest, bytes[] func)",
  "function redeemDelegations(bytes[] permissionContexts, bytes32[] modes, bytes[] executionCallDatas)",
]);

/** The targets a smart account's `callData` calls; undefined for shapes the daemon does not know (or malformed data). */
export function accountCalls(callData: Hex): AccountCalls | undefined {
  let decoded;
  try {
    decoded = decodeFunctionData({ abi: accountCallsAbi, data: callData });
  } catch {
    return undefined;
  }
  const lower = (a: string) => a.toLowerCase() as Address;
  try {
    switch (decoded.functionName) {
      case "redeemDelegations":
        return { targets: [], redeems: true };
      case "execute": {
        const args = decoded.args as readonly unknown[];
        if (args.length === 3) return { targets: [lower(args[0] as string)], redeems: false };
        if (args.length === 1) return { targets: [lower((args[0] as { target: string }).target)], redeems: false };
        const [mode, data] = args as [Hex, Hex];
        const callType = slice(mode, 0, 1);
        if (callType === CALLTYPE_SINGLE && size(data) >= 20) return { targets: [lower(slice(data, 0, 20))], redeems: false };
        if (callType === CALLTYPE_BATCH) {
          const [batch] = decodeAbiParameters([executionTuple], data);
          return { targets: batch.map((e) => lower(e.target)), redeems: false };
        }
        return undefined;
      }
      case "executeBatch": {
        const first = (decoded.args as readonly unknown[])[0] as ReadonlyArray<string | { target: string }>;
        return { targets: first.map((e) => lower(typeof e === "string" ? e : e.target)), redeems: false };
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** True when the calls reach `contract` (lowercase or checksummed): a target, or the account's own `redeemDelegations` for the DelegationManager. */
export function callsContract(calls: AccountCalls, contract: Address, isDelegationManager = false): boolean {
  const c = contract.toLowerCase();
  return (isDelegationManager && calls.redeems) || calls.targets.some((t) => t === c);
}

/** One delegation chain redeemed by a `redeemDelegations` call. */
export interface RedemptionRequest {
  /** The delegator whose authority the chain roots in (the last delegation's delegator); undefined for a self-execution (empty context). */
  rootDelegator?: Address;
  /** Who the first (leaf) delegation names as delegate. */
  delegate?: Address;
  /** Native value the executions move (wei, decimal). */
  value: string;
  targets: Address[];
}

const delegationTuple = {
  type: "tuple[]",
  components: [
    { name: "delegate", type: "address" },
    { name: "delegator", type: "address" },
    { name: "authority", type: "bytes32" },
    {
      name: "caveats",
      type: "tuple[]",
      components: [
        { name: "enforcer", type: "address" },
        { name: "terms", type: "bytes" },
        { name: "args", type: "bytes" },
      ],
    },
    { name: "salt", type: "uint256" },
    { name: "signature", type: "bytes" },
  ],
} as const;

const executionTuple = {
  type: "tuple[]",
  components: [
    { name: "target", type: "address" },
    { name: "value", type: "uint256" },
    { name: "callData", type: "bytes" },
  ],
} as const;

/** ERC-7579 call types (the first byte of a mode). */
const CALLTYPE_SINGLE = "0x00";
const CALLTYPE_BATCH = "0x01";

/**
 * The chains and values of a `DelegationManager.redeemDelegations` input;
 * undefined for other inputs. Executions are ERC-7579 encoded: single =
 * `target ‖ value ‖ callData` packed, batch = `abi.encode(Execution[])`;
 * other call types (delegatecall) move no value of their own and count 0.
 */
export function decodeRedemptions(input: Hex): RedemptionRequest[] | undefined {
  let decoded;
  try {
    decoded = decodeFunctionData({ abi: delegationManagerCallsAbi, data: input });
  } catch {
    return undefined;
  }
  const [contexts, modes, executions] = decoded.args;
  return contexts.map((context, i) => {
    const out: RedemptionRequest = { value: "0", targets: [] };
    try {
      const [chain] = decodeAbiParameters([delegationTuple], context);
      const root = chain.at(-1);
      const leaf = chain[0];
      if (root) out.rootDelegator = root.delegator.toLowerCase() as Address;
      if (leaf) out.delegate = leaf.delegate.toLowerCase() as Address;
    } catch {
      // not a delegation chain: leave the parties unknown
    }
    const mode = modes[i];
    const data = executions[i];
    if (!mode || !data) return out;
    const callType = slice(mode, 0, 1);
    try {
      if (callType === CALLTYPE_SINGLE && size(data) >= 52) {
        out.value = hexToBigInt(slice(data, 20, 52)).toString();
        out.targets = [slice(data, 0, 20).toLowerCase() as Address];
      } else if (callType === CALLTYPE_BATCH) {
        const [batch] = decodeAbiParameters([executionTuple], data);
        out.value = batch.reduce((sum, e) => sum + e.value, 0n).toString();
        out.targets = batch.map((e) => e.target.toLowerCase() as Address);
      }
    } catch {
      // malformed execution data: the call reverts anyway; no value moved
    }
    return out;
  });
}

/** `SimpleFactory.deploy(bytes,bytes32)`, the interface of Guardian's account factory. */
export const FACTORY_DEPLOY_SELECTOR: Hex = toFunctionSelector("function deploy(bytes,bytes32)");

/** True when `input` calls the factory's `deploy`. */
export function isFactoryDeploy(input: Hex): boolean {
  return input.slice(0, 10).toLowerCase() === FACTORY_DEPLOY_SELECTOR;
}
