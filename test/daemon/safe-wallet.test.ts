/**
 * Guardian and Safe{Wallet}: the Transaction Builder batch file `guardian
 * safe propose --tx-builder` writes, checked with the app's own checksum
 * algorithm (re-implemented below from its source) and encoding rules; and
 * every signature kind Safe 1.4.1 accepts, made by Safe's own SDK
 * (protocol-kit) against the real guardian Safe on a `hardhat node`, and
 * brought to Guardian through `guardian safe sign --signature`: eth_sign
 * (v 31/32, what Safe{Wallet} produces with many hardware wallets), EIP-712
 * (v 27/28), a contract signature (v 0) from a nested Safe that is an owner,
 * and an approved hash (v 1, approveHash on chain). Each pair executes
 * through `guardian safe exec`; each broken signature is refused with exit 2
 * naming the signature and the reason.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildContractSignature, buildSignatureBytes, EthSafeSignature, preimageSafeTransactionHash } from "@safe-global/protocol-kit";
import { SigningMethod } from "@safe-global/types-kit";
import { encodeFunctionData, getAddress, keccak256, stringToBytes, type Address, type Hex } from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { startLocalChain, devClients, DEV_MNEMONIC, type LocalChain } from "../../scripts/lib/local-chain.js";
import { deployLocalStack, roleWallets, ROLE_INDEX } from "../../daemon/src/deploy/local.js";
import { writeDeployment } from "../../daemon/src/deploy/deployments.js";
import { guardianArtifact } from "../../daemon/src/deploy/artifacts.js";
import type { Deployment } from "../../daemon/src/deploy/guardian.js";
import { readProposal, type Proposal } from "../../daemon/src/respond/safe-proposal.js";
import { encodeSafeSignatureEntries, parseSafeSignature, splitSafeSignatures } from "../../daemon/src/respond/safe-signatures.js";
import { main } from "../../daemon/src/cli.js";
import { LAYER_ID } from "../../daemon/src/types.js";
import { addNestedSafeOwner, devKey, protocolKit, protocolKitNetworks, type KitNetworks } from "./helpers/safe-kit.js";

const NESTED_OWNER = 10; // dev account owning the nested Safe
const address = (i: number) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }).address;
let chain: LocalChain;
let d: Deployment;
let dir: string;
let networks: KitNetworks;
let nested: Address;
let client: ReturnType<typeof devClients>["client"];
const hubAbi = guardianArtifact("GuardianHub").abi;

async function cli(args: string[], env: Record<string, string> = {}) {
  let out = "";
  let err = "";
  const code = await main(["--config", path.join(dir, "guardian.json"), ...args], {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    env: { GUARDIAN_DATA_DIR: path.join(dir, "data"), ...env },
    cwd: dir,
  });
  return { code, out, err };
}

/** The proposal's transaction as protocol-kit builds it for the guardian Safe (same nonce). */
async function kitTx(p: Proposal, signerIndex: number) {
  const kit = await protocolKit(chain.url, networks, d.guardian.safe, signerIndex);
  const tx = await kit.createTransaction({ transactions: [{ to: p.tx.to, value: p.tx.value, data: p.tx.data, operation: p.tx.operation }], options: { nonce: Number(p.tx.nonce) } });
  expect(await kit.getTransactionHash(tx)).toBe(p.safeTxHash);
  return { kit, tx };
}

/** One owner's signature of the proposal as protocol-kit makes it. */
async function kitSignature(p: Proposal, signerIndex: number, method: SigningMethod): Promise<Hex> {
  const { kit, tx } = await kitTx(p, signerIndex);
  const signed = await kit.signTransaction(tx, method);
  return signed.getSignature(address(signerIndex))!.data as Hex;
}

/** The nested Safe's contract signature for the proposal: its owner signs the guardian Safe's transaction as a SafeMessage of the nested Safe. */
async function nestedSignature(p: Proposal, signerIndex: number): Promise<{ entry: Hex; sig: EthSafeSignature }> {
  const { tx } = await kitTx(p, ROLE_INDEX.owner1);
  const nestedKit = await protocolKit(chain.url, networks, nested, NESTED_OWNER);
  let inner: EthSafeSignature;
  if (signerIndex === NESTED_OWNER) {
    const signed = await nestedKit.signTransaction(tx, SigningMethod.SAFE_SIGNATURE, d.guardian.safe);
    inner = signed.getSignature(address(NESTED_OWNER))!;
  } else {
    // protocol-kit refuses to sign for a non-owner: the same eth_sign of the nested Safe's message hash, by hand.
    const hash = await nestedKit.getSafeMessageHash(preimageSafeTransactionHash(d.guardian.safe, tx.data, "1.4.1", BigInt(chain.chain.id)));
    const raw = await privateKeyToAccount(devKey(signerIndex)).signMessage({ message: { raw: hash as Hex } });
    const v = parseInt(raw.slice(-2), 16) + 4;
    inner = new EthSafeSignature(address(signerIndex), `${raw.slice(0, -2)}${v.toString(16)}`);
  }
  const sig = await buildContractSignature([inner], nested);
  return { entry: `0x${buildSignatureBytes([sig]).replace(/^0x/, "")}` as Hex, sig };
}

beforeAll(async () => {
  chain = await startLocalChain();
  const c = devClients(chain.chain, chain.url, 12);
  client = c.client;
  const w = roleWallets(c.wallets as any);
  d = await deployLocalStack(c.client as any, w);
  networks = await protocolKitNetworks(client as any, w.deployer, d.guardian.safe);
  nested = await addNestedSafeOwner(client as any, w.deployer, d.guardian.safe, NESTED_OWNER, [w.owner1, w.owner2]);
  dir = mkdtempSync(path.join(tmpdir(), "guardian-safe-sigs-"));
  writeDeployment(path.join(dir, "deployments"), d);
  writeFileSync(
    path.join(dir, "guardian.json"),
    JSON.stringify({ preset: "local", rpc: { endpoints: [{ name: "node", http: chain.url }] }, deploymentsFile: `deployments/${d.chainId}.json` }),
  );
});
afterAll(async () => {
  await chain?.stop();
});

const isPaused = (layer: keyof typeof LAYER_ID) => client.readContract({ address: d.guardian.hub, abi: hubAbi, functionName: "isPaused", args: [LAYER_ID[layer]] });
const executor = () => ({ GUARDIAN_EXECUTOR_KEY: devKey(ROLE_INDEX.bundler) });

describe("Safe signature kinds, from protocol-kit", () => {
  it("eth_sign (v 31/32) and a nested Safe's contract signature (v 0) execute the pause", async () => {
    expect((await cli(["safe", "propose", "pause", "delegation", "--out", "kinds1.json"])).code).toBe(0);
    const file = path.join(dir, "kinds1.json");
    const p = readProposal(file);

    const ethSign = await kitSignature(p, ROLE_INDEX.owner1, SigningMethod.ETH_SIGN);
    expect(parseSafeSignature(ethSign).v).toBeGreaterThan(30);
    const one = await cli(["safe", "sign", file, "--signature", ethSign, "--signer", address(ROLE_INDEX.owner1)]);
    expect(one.code, one.err).toBe(0);
    expect(one.out).toContain(`${getAddress(address(ROLE_INDEX.owner1))} (eth_sign)`);
    expect(one.out).toMatch(/1 of 2 required/);

    const { entry } = await nestedSignature(p, NESTED_OWNER);
    expect(parseSafeSignature(entry).kind).toBe("contract");
    const two = await cli(["safe", "sign", file, "--signature", entry]);
    expect(two.code, two.err).toBe(0);
    expect(two.out).toContain(`${nested} (contract signature)`);
    expect(two.out).toMatch(/ready to execute/);

    // Guardian lays the two out exactly as protocol-kit does.
    const signed = readProposal(file);
    const ours = encodeSafeSignatureEntries(signed.signatures.map((s) => ({ owner: getAddress(s.signer), signature: s.signature as Hex })));
    const { sig } = await nestedSignature(p, NESTED_OWNER);
    const theirs = buildSignatureBytes([new EthSafeSignature(address(ROLE_INDEX.owner1), ethSign), sig]);
    expect(ours.toLowerCase()).toBe(theirs.toLowerCase());

    const run = await cli(["safe", "exec", file], executor());
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/confirmed on chain: delegation paused/);
    expect(await isPaused("delegation")).toBe(true);
  });

  it("an approved hash (v 1, approveHash on chain) counts without a file entry; EIP-712 from a whole signatures blob", async () => {
    expect((await cli(["safe", "propose", "unpause", "delegation", "--out", "kinds2.json"])).code).toBe(0);
    const file = path.join(dir, "kinds2.json");
    const p = readProposal(file);

    const { kit } = await kitTx(p, ROLE_INDEX.owner2);
    const approval = await kit.approveTransactionHash(p.safeTxHash);
    await client.waitForTransactionReceipt({ hash: approval.hash as Hex });
    const status = await cli(["safe", "status", file]);
    expect(status.code, status.err).toBe(0);
    expect(status.out).toContain(`1 of 2 required (${getAddress(address(ROLE_INDEX.owner2))} approved hash on chain)`);

    // owner3 signs with EIP-712; the blob protocol-kit would hand execTransaction is imported whole.
    const { kit: kit3, tx } = await kitTx(p, ROLE_INDEX.owner3);
    const signed = await kit3.signTransaction(tx, SigningMethod.ETH_SIGN_TYPED_DATA_V4);
    const blob = signed.encodedSignatures() as Hex;
    expect(splitSafeSignatures(blob)).toHaveLength(1);
    const add = await cli(["safe", "sign", file, "--signature", blob]);
    expect(add.code, add.err).toBe(0);
    expect(add.out).toContain(`${getAddress(address(ROLE_INDEX.owner3))} (EIP-712)`);
    expect(add.out).toMatch(/ready to execute/);

    const run = await cli(["safe", "exec", file], executor());
    expect(run.code, run.err).toBe(0);
    expect(await isPaused("delegation")).toBe(false);
  });

  it("each broken signature is refused with exit 2, naming the signature and why", async () => {
    expect((await cli(["safe", "propose", "pause", "factory", "--out", "bad.json"])).code).toBe(0);
    const file = path.join(dir, "bad.json");
    const p = readProposal(file);
    const original = readFileSync(file, "utf8");

    // eth_sign whose v was turned into an EIP-712 one: recovers to some other address.
    const ethSign = await kitSignature(p, ROLE_INDEX.owner1, SigningMethod.ETH_SIGN);
    const flipped = `${ethSign.slice(0, -2)}${(parseSafeSignature(ethSign).v - 4).toString(16)}` as Hex;
    const r1 = await cli(["safe", "sign", file, "--signature", flipped, "--signer", address(ROLE_INDEX.owner1)]);
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(/--signature: made by 0x[0-9a-fA-F]{40} \(EIP-712\), not by --signer/);

    // A v Safe does not know.
    const r2 = await cli(["safe", "sign", file, "--signature", `${ethSign.slice(0, -2)}05`]);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/v = 5: Safe accepts 27\/28 \(EIP-712\), 31\/32 \(eth_sign\), 0 \(contract\) or 1 \(approved hash\)/);

    // A contract signature made by someone who does not own the nested Safe.
    const { entry } = await nestedSignature(p, ROLE_INDEX.stranger);
    const r3 = await cli(["safe", "sign", file, "--signature", entry]);
    expect(r3.code).toBe(2);
    expect(r3.err).toContain(`from ${nested} (contract signature) is not valid`);
    expect(r3.err).toMatch(/isValidSignature refused it: GS026: signer is not an owner/);

    // An approved-hash entry for an owner who never approved, written into the file.
    const forged = JSON.parse(original) as Proposal;
    const owner3 = getAddress(address(ROLE_INDEX.owner3));
    forged.signatures.push({ signer: owner3, signature: `0x${"00".repeat(12)}${owner3.slice(2).toLowerCase()}${"00".repeat(32)}01` });
    writeFileSync(file, JSON.stringify(forged));
    const r4 = await cli(["safe", "status", file]);
    expect(r4.code).toBe(2);
    expect(r4.out).toMatch(/INVALID signature from 0x[0-9a-fA-F]{40} \(approved hash\)/);
    expect(r4.err).toContain(`${owner3} (approved-hash): ${owner3} has not approved this safeTxHash on chain`);
    const r5 = await cli(["safe", "exec", file], executor());
    expect(r5.code).toBe(2);
    expect(r5.err).toMatch(/has not approved this safeTxHash on chain/);
    expect(await isPaused("accountFactory")).toBe(false);
  });
});

// ---- The Transaction Builder's own algorithms, re-implemented from safe-global/safe-react-apps
// apps/tx-builder/src/lib/checksum.ts, src/utils.ts and src/store/transactionLibraryContext.tsx.
// (web3.utils.sha3 of a non-hex string is keccak-256 of its UTF-8 bytes.)
const stringifyReplacer = (_: string, value: any) => (value === undefined ? null : value);
const serializeJSONObject = (json: any): string => {
  if (Array.isArray(json)) return `[${json.map((el) => serializeJSONObject(el)).join(",")}]`;
  if (typeof json === "object" && json !== null) {
    let acc = "";
    const keys = Object.keys(json).sort();
    acc += `{${JSON.stringify(keys, stringifyReplacer)}`;
    for (let i = 0; i < keys.length; i++) acc += `${serializeJSONObject(json[keys[i]!])},`;
    return `${acc}}`;
  }
  return `${JSON.stringify(json, stringifyReplacer)}`;
};
const calculateChecksum = (batchFile: any) => keccak256(stringToBytes(serializeJSONObject({ ...batchFile, meta: { ...batchFile.meta, name: null } })));
const validateChecksum = (batchFile: any) => {
  const targetObj = { ...batchFile, meta: { ...batchFile.meta } };
  const checksum = targetObj.meta.checksum;
  delete targetObj.meta.checksum;
  return calculateChecksum(targetObj) === checksum;
};
const validateTransactionsInBatch = (batch: any) =>
  batch.transactions.every(
    (tx: any) => typeof tx.value === "string" && (tx.contractInputsValues === null || Object.values(tx.contractInputsValues || {}).every((input) => typeof input !== "number")),
  );
const parseStringToArray = (value: string): string[] => {
  let numberOfItems = 0;
  let numberOfOtherArrays = 0;
  return value
    .trim()
    .slice(1, -1)
    .split("")
    .reduce<string[]>((array, char) => {
      if (char === "," && numberOfOtherArrays === 0) {
        numberOfItems++;
        return array;
      }
      if (char === "[") numberOfOtherArrays++;
      if (char === "]") numberOfOtherArrays--;
      array[numberOfItems] = `${array[numberOfItems] || ""}${char}`.trim();
      return array;
    }, []);
};
/** encodeToHexData for the argument types a hub call has (integer arrays, bytes32). */
const encodeToHexData = (method: any, values: Record<string, string>) =>
  encodeFunctionData({
    abi: [{ type: "function", name: method.name, inputs: method.inputs, outputs: [], stateMutability: method.payable ? "payable" : "nonpayable" }],
    functionName: method.name,
    args: method.inputs.map((i: any) => (i.type.endsWith("[]") ? parseStringToArray(values[i.name]!).map((v) => BigInt(v.replace(/["']/g, ""))) : values[i.name])),
  });

describe("Safe{Wallet} Transaction Builder file", () => {
  it("the re-implemented checksum gives the app's own test vector", () => {
    // apps/tx-builder/src/lib/checksum.test.js: batchFileObject and its expected checksum.
    const tx = (name: string, type: string) => ({ inputs: [{ internalType: type, name, type }], name: name === "paramAddress" ? "testAddress" : "testBool", payable: false });
    const vector = {
      version: "1.0",
      chainId: "4",
      createdAt: 1646321521061,
      meta: {
        name: "test batch file",
        txBuilderVersion: "1.4.0",
        checksum: "",
        createdFromSafeAddress: "0xDF8a1Ce35c9a6ACE153B4e0767942f1E2291a1Aa",
        createdFromOwnerAddress: "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
      },
      transactions: [
        { to: "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6", value: "0", contractMethod: tx("paramAddress", "address"), contractInputsValues: { paramAddress: "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6" } },
        { to: "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6", value: "0", contractMethod: tx("paramBool", "bool"), contractInputsValues: { paramAddress: "", paramBool: "false" } },
        { to: "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6", value: "2000000000000000000", data: "0x42f4579000000000000000000000000049d4450977e2c95362c13d3a31a09311e0ea26a6" },
      ],
    };
    expect(calculateChecksum(vector)).toBe("0x4ecbfd364aa6759983915644e73f8bd411e85a2dc306f252a387c2728c4db64c");
  });

  it("propose --tx-builder writes a batch the app imports without a warning, calling exactly the proposed transaction", async () => {
    const r = await cli(["safe", "propose", "pause", "entrypoint", "factory", "--incident", "INC-21", "--out", "tb.json", "--tx-builder", "tb-batch.json"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("Transaction Builder");
    const p = readProposal(path.join(dir, "tb.json"));
    const batch = JSON.parse(readFileSync(path.join(dir, "tb-batch.json"), "utf8"));

    expect(validateChecksum(batch)).toBe(true);
    expect(validateTransactionsInBatch(batch)).toBe(true);
    expect(batch).toMatchObject({
      version: "1.0",
      chainId: String(chain.chain.id),
      meta: { txBuilderVersion: expect.stringMatching(/^\d+\.\d+\.\d+$/), createdFromSafeAddress: getAddress(d.guardian.safe), createdFromOwnerAddress: "" },
    });
    expect(typeof batch.createdAt).toBe("number");
    expect(batch.meta.description).toContain(p.safeTxHash);
    expect(batch.transactions).toHaveLength(1);
    const [t] = batch.transactions;
    expect(t).toMatchObject({ to: getAddress(d.guardian.hub), value: "0", data: p.tx.data });
    expect(t.contractMethod.name).toBe("pause");
    expect(t.contractInputsValues).toEqual({ layers: `[${LAYER_ID.entryPoint},${LAYER_ID.accountFactory}]`, incident: p.incident });
    // The method and values, encoded the way the app does, are the same call.
    expect(encodeToHexData(t.contractMethod, t.contractInputsValues)).toBe(p.tx.data);
    // Renaming the batch in the app keeps it valid; any other change is seen.
    expect(validateChecksum({ ...batch, meta: { ...batch.meta, name: "renamed" } })).toBe(true);
    expect(validateChecksum({ ...batch, transactions: [{ ...t, to: address(ROLE_INDEX.stranger) }] })).toBe(false);

    // What Safe{Wallet} makes of one transaction at the queue's next nonce is Guardian's Safe transaction.
    const kit = await protocolKit(chain.url, networks, d.guardian.safe, ROLE_INDEX.owner1);
    const fromBatch = await kit.createTransaction({ transactions: [{ to: t.to, value: t.value, data: t.data }] });
    expect(await kit.getTransactionHash(fromBatch)).toBe(p.safeTxHash);
  });
});
