/**
 * `npm run demo`: Guardian end to end on a local chain.
 *
 *   1. start `hardhat node` on a free loopback port;
 *   2. deploy the Smart Accounts Kit, Guardian's hub and guarded layers, and a
 *      2-of-3 guardian Safe (which grants the sentinel role);
 *   3. healthy traffic: an account created through the guarded factory with a
 *      sponsored user operation, a second sponsored operation, a delegation
 *      redeemed;
 *   4. the guardian Safe pauses all three layers in one transaction (two of
 *      three owners sign) and each path stops with its own error;
 *   5. the Safe unpauses and each path works again;
 *   6. a summary; the chain is stopped whatever happens.
 */
import { encodeFunctionData, formatEther, keccak256, parseEther, toHex, type Hex } from "viem";
import { DelegationManager as delegationManagerAbi } from "@metamask/delegation-abis";
import { startLocalChain, devClients } from "./lib/local-chain.js";
import { deployLocalStack, roleWallets, safeCall } from "../daemon/src/deploy/local.js";
import { smartAccount, buildUserOp, handleOps, delegateNative, redeemCalldata, simulateHandleOps, simulateCall, type Refusal } from "./lib/traffic.js";
import { guardianArtifact, PROJECT_ROOT } from "../daemon/src/deploy/artifacts.js";
import { writeDeployment } from "../daemon/src/deploy/deployments.js";
import { LAYER_ID, LAYERS } from "../daemon/src/types.js";
import path from "node:path";

const started = Date.now();
const lines: string[] = [];
const step = (s: string) => console.log(`\n== ${s}`);
const info = (s: string) => console.log(`   ${s}`);
const summary = (s: string) => lines.push(s);
const refusalText = (r: Refusal | undefined) =>
  r ? [r.error, r.reason && `"${r.reason}"`, r.inner && `→ ${r.inner}`].filter(Boolean).join(" ") : "accepted";

const chain = await startLocalChain();
const stopChain = () => chain.stop();
process.once("SIGINT", () => void stopChain().then(() => process.exit(130)));

try {
  step(`local chain ${chain.chain.id} at ${chain.url} (hardhat node, pid ${chain.child.pid})`);
  const { client, wallets } = devClients(chain.chain, chain.url);
  const w = roleWallets(wallets as any);

  step("deploy: kit, GuardianHub, guarded paymaster and factory, guardian Safe");
  const d = await deployLocalStack(client as any, w, { log: info });
  const file = writeDeployment(path.join(PROJECT_ROOT, "deployments"), d);
  info(`addresses written to ${path.relative(process.cwd(), file)}`);
  const hubAbi = guardianArtifact("GuardianHub").abi;
  const pmAbi = guardianArtifact("GuardedPaymaster").abi;
  const facAbi = guardianArtifact("GuardedAccountFactory").abi;

  step("healthy traffic");
  const alice = await smartAccount(client as any, d, w.user, "0xa11ce");
  await w.deployer.sendTransaction({ to: alice.address, value: parseEther("1") });
  const createOp = await buildUserOp(client as any, d, alice, { calls: [{ to: w.stranger.account.address, value: 1n }], sponsor: w.sponsor });
  const created = await handleOps(client as any, d, w.bundler, [createOp]);
  info(`account ${alice.address} created through the guarded factory, sponsored (tx ${created.transactionHash}, ${created.status})`);
  const op2 = await handleOps(client as any, d, w.bundler, [await buildUserOp(client as any, d, alice, { calls: [{ to: w.stranger.account.address, value: 2n }], sponsor: w.sponsor })]);
  info(`sponsored user operation (tx ${op2.transactionHash}, ${op2.status})`);
  const delegation = await delegateNative(d, alice, w.delegate.account.address, parseEther("0.5"));
  const redeem = redeemCalldata(delegation, w.stranger.account.address, parseEther("0.01"));
  const redeemed = await client.waitForTransactionReceipt({ hash: await w.delegate.sendTransaction({ to: d.kit.DelegationManager, data: redeem }) });
  info(`delegation redeemed by ${w.delegate.account.address} (tx ${redeemed.transactionHash}, ${redeemed.status})`);
  summary(`healthy: account creation ${created.status}, sponsored operation ${op2.status}, delegation redemption ${redeemed.status}`);

  step("guardian Safe pauses all three layers (2 of 3 owners sign)");
  const incident = keccak256(toHex("demo-manual-pause"));
  const all = LAYERS.map((l) => LAYER_ID[l]);
  const pauseTx = await safeCall(client as any, d.guardian.safe, d.guardian.hub, encodeFunctionData({ abi: hubAbi, functionName: "pause", args: [all, incident] }), [w.owner1, w.owner2]);
  const pauseReceipt = await client.getTransactionReceipt({ hash: pauseTx });
  info(`pause tx ${pauseTx}: ${pauseReceipt.gasUsed} gas for three layers`);

  const bob = await smartAccount(client as any, d, w.user, "0xb0b");
  await w.deployer.sendTransaction({ to: bob.address, value: parseEther("1") });
  const pendingCreate = await buildUserOp(client as any, d, bob, { calls: [{ to: w.stranger.account.address }] });
  const pendingSponsored = await buildUserOp(client as any, d, alice, { calls: [{ to: w.stranger.account.address, value: 3n }], sponsor: w.sponsor });
  const { factory, factoryData } = await bob.getFactoryArgs();
  const paused = {
    accountCreation: await simulateHandleOps(client as any, d, w.bundler, [pendingCreate], [facAbi]),
    factoryDirect: await simulateCall(client as any, w.stranger.account.address, factory!, factoryData!, [facAbi]),
    sponsoredOp: await simulateHandleOps(client as any, d, w.bundler, [pendingSponsored], [pmAbi]),
    redemption: await simulateCall(client as any, w.delegate.account.address, d.kit.DelegationManager, redeem, [delegationManagerAbi]),
  };
  info(`AccountFactory layer: handleOps → ${refusalText(paused.accountCreation)}; factory.deploy → ${refusalText(paused.factoryDirect)}`);
  info(`EntryPoint layer:     sponsored handleOps → ${refusalText(paused.sponsoredOp)}`);
  info(`Delegation layer:     redeemDelegations → ${refusalText(paused.redemption)}`);
  const allStopped = Object.values(paused).every(Boolean);
  summary(`paused by the Safe in one tx (${pauseReceipt.gasUsed} gas): ${allStopped ? "all three paths stopped" : "SOME PATH STILL WORKS"}`);
  summary(`  account creation: ${refusalText(paused.accountCreation)} / ${refusalText(paused.factoryDirect)}`);
  summary(`  sponsored op:     ${refusalText(paused.sponsoredOp)}`);
  summary(`  redemption:       ${refusalText(paused.redemption)}`);

  step("guardian Safe unpauses");
  await safeCall(client as any, d.guardian.safe, d.guardian.hub, encodeFunctionData({ abi: hubAbi, functionName: "unpause", args: [all, incident] }), [w.owner2, w.owner3]);
  const after = {
    creation: (await handleOps(client as any, d, w.bundler, [pendingCreate])).status,
    sponsored: (await handleOps(client as any, d, w.bundler, [pendingSponsored])).status,
    redemption: (await client.waitForTransactionReceipt({ hash: await w.delegate.sendTransaction({ to: d.kit.DelegationManager, data: redeem }) })).status,
  };
  info(`account creation ${after.creation}, sponsored operation ${after.sponsored}, redemption ${after.redemption}`);
  summary(`unpaused by the Safe: account creation ${after.creation}, sponsored operation ${after.sponsored}, redemption ${after.redemption}`);

  const deposit = await client.readContract({ address: d.kit.EntryPoint, abi: [{ type: "function", name: "balanceOf", stateMutability: "view", inputs: [{ type: "address" }], outputs: [{ type: "uint256" }] }], functionName: "balanceOf", args: [d.guardian.paymaster] });
  summary(`paymaster deposit left: ${formatEther(deposit)} ETH`);

  const ok = allStopped && Object.values(after).every((s) => s === "success") && created.status === "success" && redeemed.status === "success";
  console.log(`\n==================== Guardian demo summary ====================`);
  console.log(`chain ${d.chainId}; hub ${d.guardian.hub}; guardian Safe ${d.guardian.safe} (2-of-3)`);
  for (const l of lines) console.log(l);
  console.log(`result: ${ok ? "OK" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(1)} s; the local chain is stopped.`);
  process.exitCode = ok ? 0 : 1;
} catch (err) {
  console.error(`\ndemo failed: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
} finally {
  await stopChain();
}
