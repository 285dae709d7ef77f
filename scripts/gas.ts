/**
 * `npm run gas`: what Guardian costs in gas, on Hardhat's in-process chain.
 *
 *   - pausing all three layers in one transaction: directly from a guardian
 *     key, through the 2-of-3 Safe, and by the sentinel; unpausing them;
 *   - the guard's overhead on each guarded call, measured against twins of the
 *     guarded contracts with the pause check removed (contracts/mocks/GasBaseline.sol):
 *     account creation through the factory, and the paymaster's validation of
 *     a sponsored user operation. The DelegationManager's pause check is the
 *     kit's own, so Guardian adds nothing to a redemption.
 *
 * `--json` prints the figures as JSON (the benchmark suite reads them).
 */
import hre, { network } from "hardhat";
import { type Address, type Hex, encodeFunctionData, keccak256, toHex, getAddress } from "viem";
import { toPackedUserOperation } from "viem/account-abstraction";
import { deployLocalStack, roleWallets, safeCall } from "../daemon/src/deploy/local.js";
import { ROLES, type Deployment } from "../daemon/src/deploy/guardian.js";
import { guardianArtifact } from "../daemon/src/deploy/artifacts.js";
import { smartAccount, buildUserOp, handleOps } from "./lib/traffic.js";
import { LAYER_ID } from "../daemon/src/types.js";

const conn = await network.create();
const client = await conn.viem.getPublicClient();
const w = roleWallets((await conn.viem.getWalletClients()) as any);
const d = await deployLocalStack(client as any, w);
const hubAbi = guardianArtifact("GuardianHub").abi;
const ALL = [LAYER_ID.entryPoint, LAYER_ID.accountFactory, LAYER_ID.delegation];
const incident = keccak256(toHex("gas-report"));

async function gasOf(hash: Hex) {
  const r = await client.waitForTransactionReceipt({ hash });
  if (r.status !== "success") throw new Error(`tx ${hash} reverted`);
  return r.gasUsed;
}
const hubWrite = (who: typeof w.deployer, functionName: string, args: unknown[]) =>
  who.writeContract({ address: d.guardian.hub, abi: hubAbi, functionName, args } as any);

// A guardian key (the deployer is admin, who administers the guardian role) isolates the hub's own cost.
await gasOf(await hubWrite(w.deployer, "grantRole", [ROLES.GUARDIAN, w.stranger.account.address]));
const figures: Record<string, bigint | number> = {};
figures.pause3LayersGuardianKey = await gasOf(await hubWrite(w.stranger, "pause", [ALL, incident]));
figures.unpause3Layers = await gasOf(await hubWrite(w.stranger, "unpause", [ALL, incident]));
figures.pause1Layer = await gasOf(await hubWrite(w.stranger, "pause", [[LAYER_ID.delegation], incident]));
await gasOf(await hubWrite(w.stranger, "unpause", [[LAYER_ID.delegation], incident]));
figures.pause3LayersSafe2of3 = await gasOf(await safeCall(client as any, d.guardian.safe, d.guardian.hub, encodeFunctionData({ abi: hubAbi, functionName: "pause", args: [ALL, incident] }), [w.owner1, w.owner2]));
await gasOf(await hubWrite(w.stranger, "unpause", [ALL, incident]));
figures.sentinelPause3Layers = await gasOf(await hubWrite(w.sentinel, "sentinelPause", [ALL, incident]));
figures.heartbeat = await gasOf(await hubWrite(w.sentinel, "heartbeat", []));
await gasOf(await hubWrite(w.stranger, "unpause", [ALL, incident]));

// Guard overhead: each guarded contract against its unguarded twin.
async function deployContract(name: string, args: unknown[]): Promise<Address> {
  const art = await hre.artifacts.readArtifact(name);
  const hash = await w.deployer.deployContract({ abi: art.abi, bytecode: art.bytecode as Hex, args });
  return getAddress((await client.waitForTransactionReceipt({ hash })).contractAddress!);
}
const twinFactory = await deployContract("UnguardedAccountFactoryForGas", [d.guardian.hub, w.deployer.account.address]);
const twinPaymaster = await deployContract("UnguardedPaymasterForGas", [d.kit.EntryPoint, d.guardian.hub, w.sponsor.account.address, w.deployer.account.address]);

// Account creation: the same HybridDeleGator deployment through each factory.
async function createThrough(factory: Address, salt: Hex) {
  const env: Deployment = { ...d, guardian: { ...d.guardian, accountFactory: factory } };
  const account = await smartAccount(client as any, env, w.user, salt);
  const { factory: f, factoryData } = await account.getFactoryArgs();
  return gasOf(await w.stranger.sendTransaction({ to: f!, data: factoryData! }));
}
figures.createAccountGuarded = await createThrough(d.guardian.accountFactory, "0x0a");
figures.createAccountUnguarded = await createThrough(twinFactory, "0x0a");
figures.createAccountGuardOverhead = (figures.createAccountGuarded as bigint) - (figures.createAccountUnguarded as bigint);

// Paymaster validation of the same sponsored operation, called as the EntryPoint.
const account = await smartAccount(client as any, d, w.user, "0x0b");
await w.deployer.sendTransaction({ to: account.address, value: 10n ** 18n });
await handleOps(client as any, d, w.bundler, [await buildUserOp(client as any, d, account, { calls: [{ to: w.stranger.account.address }] })]);
async function validationGas(paymaster: Address) {
  const env: Deployment = { ...d, guardian: { ...d.guardian, paymaster } };
  const op = await buildUserOp(client as any, env, account, { calls: [{ to: w.stranger.account.address }], sponsor: w.sponsor });
  const data = encodeFunctionData({
    abi: guardianArtifact("GuardedPaymaster").abi,
    functionName: "validatePaymasterUserOp",
    args: [toPackedUserOperation(op), keccak256("0x01"), 10n ** 15n],
  });
  // Execution gas from the opcode trace: gas left at the first opcode minus gas
  // left at the last, plus the last opcode's cost (eth_estimateGas and the
  // trace's summary round to a search tolerance that hides a 2,100-gas SLOAD).
  const trace = (await client.request({
    method: "debug_traceCall" as any,
    params: [{ from: d.kit.EntryPoint, to: paymaster, data }, "latest", { disableStorage: true, disableStack: true, disableMemory: true }] as any,
  })) as { failed: boolean; structLogs: Array<{ depth: number; gas: number; gasCost: number }> };
  if (trace.failed) throw new Error(`paymaster validation through ${paymaster} failed`);
  const top = trace.structLogs.filter((l) => l.depth === 1);
  const first = top[0]!, last = top[top.length - 1]!;
  return BigInt(first.gas - last.gas + last.gasCost);
}
figures.paymasterValidationGuarded = await validationGas(d.guardian.paymaster);
figures.paymasterValidationUnguarded = await validationGas(twinPaymaster);
figures.paymasterGuardOverhead = (figures.paymasterValidationGuarded as bigint) - (figures.paymasterValidationUnguarded as bigint);
figures.redemptionGuardOverhead = 0;

if (process.argv.includes("--json")) {
  console.log(JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Number(v)])), null, 2));
} else {
  const rows: Array<[string, bigint | number]> = [
    ["pause 3 layers, one tx, guardian key", figures.pause3LayersGuardianKey!],
    ["pause 3 layers through the 2-of-3 Safe", figures.pause3LayersSafe2of3!],
    ["sentinel pause of 3 layers", figures.sentinelPause3Layers!],
    ["unpause 3 layers", figures.unpause3Layers!],
    ["pause 1 layer", figures.pause1Layer!],
    ["sentinel heartbeat", figures.heartbeat!],
    ["account creation, guarded factory", figures.createAccountGuarded!],
    ["account creation, unguarded twin", figures.createAccountUnguarded!],
    ["  guard overhead per account creation", figures.createAccountGuardOverhead!],
    ["paymaster validation execution (traced), guarded", figures.paymasterValidationGuarded!],
    ["paymaster validation, unguarded twin", figures.paymasterValidationUnguarded!],
    ["  guard overhead per sponsored operation", figures.paymasterGuardOverhead!],
    ["  guard overhead per redemption (kit's own check)", figures.redemptionGuardOverhead!],
  ];
  console.log("Guardian gas report (Hardhat EDR, solc 0.8.30, optimizer 200 runs)");
  for (const [k, v] of rows) console.log(`${k.padEnd(52)} ${String(v).padStart(9)} gas`);
}
await conn.close();
