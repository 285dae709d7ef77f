/**
 * A Guardian proposal as a Safe{Wallet} Transaction Builder batch file, so
 * signers load it in the app they already use (Apps → Transaction Builder →
 * drag the file in) instead of retyping a transaction under pressure.
 *
 * The format is the one the Transaction Builder app itself downloads and
 * imports (safe-global/safe-react-apps, apps/tx-builder: `BatchFile` in
 * `src/typings/models.ts`, written by `generateBatchFile` and `addChecksum`):
 * `version` "1.0", `chainId` as a string, `createdAt` in milliseconds, `meta`
 * and `transactions[]` whose numbers are all strings. The app checks the
 * checksum on import and warns "this file was modified" when it does not
 * match; `txBuilderChecksum` computes it the same way (see there).
 *
 * Each transaction carries its `data` (the exact call Guardian proposed: the
 * app uses it as is) and also `contractMethod` and `contractInputsValues`,
 * the hub function and its arguments in the app's own input syntax, so a
 * reader of the file sees what it calls.
 */
import { type AbiFunction, type Hex, getAddress, keccak256, stringToBytes } from "viem";
import { hubGuardianAbi, type Proposal } from "./safe-proposal.js";
import { LAYER_ID } from "../types.js";

/** The Transaction Builder release whose file format this follows (apps/tx-builder/package.json). */
export const TX_BUILDER_VERSION = "1.18.3";

export interface TxBuilderInput {
  internalType: string;
  name: string;
  type: string;
}

export interface TxBuilderTransaction {
  to: string;
  value: string;
  data: string | null;
  contractMethod: { inputs: TxBuilderInput[]; name: string; payable: boolean } | null;
  contractInputsValues: Record<string, string> | null;
}

export interface TxBuilderBatch {
  version: "1.0";
  chainId: string;
  createdAt: number;
  meta: {
    name: string;
    description: string;
    txBuilderVersion: string;
    createdFromSafeAddress: string;
    createdFromOwnerAddress: string;
    checksum?: string;
  };
  transactions: TxBuilderTransaction[];
}

/**
 * The app's canonical serialization (`serializeJSONObject` in
 * apps/tx-builder/src/lib/checksum.ts): objects as `{["k1","k2"]v1,v2,}`
 * with keys sorted, arrays as `[a,b]`, leaves as JSON with undefined as null.
 */
function serialize(json: unknown): string {
  if (Array.isArray(json)) return `[${json.map(serialize).join(",")}]`;
  if (typeof json === "object" && json !== null) {
    const keys = Object.keys(json).sort();
    let out = `{${JSON.stringify(keys)}`;
    for (const k of keys) out += `${serialize((json as Record<string, unknown>)[k])},`;
    return `${out}}`;
  }
  return json === undefined ? "null" : JSON.stringify(json);
}

/**
 * The checksum the Transaction Builder writes and checks: keccak-256 (web3's
 * `sha3` of the UTF-8 text) of the serialized file with `meta.name` set to
 * null (renaming a batch keeps it valid) and without `meta.checksum`.
 */
export function txBuilderChecksum(batch: TxBuilderBatch): Hex {
  const { checksum: _omit, ...meta } = batch.meta;
  return keccak256(stringToBytes(serialize({ ...batch, meta: { ...meta, name: null } })));
}

/** The value of one argument in the app's input syntax: arrays as "[0,2]", the rest as text. */
function inputValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => String(v)).join(",")}]`;
  return String(value);
}

/** The batch file for a proposal (one transaction: the hub call the Safe makes). */
export function txBuilderBatch(p: Proposal, opts: { createdAt: Date }): TxBuilderBatch {
  const fn = hubGuardianAbi.find((f) => f.type === "function" && f.name === p.action) as AbiFunction;
  const args: unknown[] = [p.layers.map((l) => LAYER_ID[l]), p.incident];
  const batch: TxBuilderBatch = {
    version: "1.0",
    chainId: String(p.chainId),
    createdAt: opts.createdAt.getTime(),
    meta: {
      name: `Guardian: ${p.action} ${p.layers.join(", ")} (Safe nonce ${p.tx.nonce})`,
      description: `${p.description}. Guardian's safeTxHash at nonce ${p.tx.nonce}: ${p.safeTxHash}; compare it with the one your device shows.`,
      txBuilderVersion: TX_BUILDER_VERSION,
      createdFromSafeAddress: getAddress(p.safe),
      createdFromOwnerAddress: "",
    },
    transactions: [
      {
        to: getAddress(p.tx.to),
        value: p.tx.value,
        data: p.tx.data,
        contractMethod: {
          inputs: fn.inputs.map((i) => ({ internalType: i.type, name: i.name!, type: i.type })),
          name: fn.name,
          payable: fn.stateMutability === "payable",
        },
        contractInputsValues: Object.fromEntries(fn.inputs.map((i, k) => [i.name!, inputValue(args[k])])),
      },
    ],
  };
  batch.meta.checksum = txBuilderChecksum(batch);
  return batch;
}
