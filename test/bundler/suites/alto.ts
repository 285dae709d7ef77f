/**
 * A real ERC-4337 bundler in the loop: Pimlico's Alto (scripts/lib/bundler.ts)
 * in front of a `hardhat node` with the kit and Guardian deployed, spoken to
 * with Guardian's own bundler client (daemon/src/bundler/client.ts). What
 * users see when they go through a bundler, as opposed to an EOA calling
 * `handleOps` itself:
 *
 * - a sponsored account creation is estimated, signed over the estimate,
 *   sent and included (receipt success=true);
 * - while Guardian's accountFactory layer is paused an account creation is
 *   refused at estimate and at send (AA13) and nothing reaches the chain;
 * - while the delegation layer is paused a redemption's estimate fails with
 *   `EnforcedPause()` decoded; sent anyway it is included with success=false
 *   (the receipt's reason decoded), and the paymaster pays;
 * - while the entryPoint layer (the paymaster) is paused a sponsored
 *   operation is refused with AA33 and `GuardedPaymasterPaused()` decoded;
 * - a stopped bundler is "unreachable", never a throw;
 * - the bundler is reachable on loopback only.
 *
 * A suite, run on each node implementation (alto.test.ts: EDR, where the
 * deterministic deployer is put in place; alto.anvil.test.ts: anvil, which
 * has it). One node and one Alto per file. The node mines blocks on an
 * interval, so "nothing reached the chain" is checked over blocks the chain
 * really produced; every wait is for a state, in blocks, with a wall-clock
 * safety net only.
 */
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { encodeFunctionData, parseAbi, parseEther, type Address, type Hex } from "viem";
import { getUserOperationHash, type UserOperation } from "viem/account-abstraction";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createBundlerClient, type BundlerClient } from "../../../daemon/src/bundler/client.js";
import { safeCall } from "../../../daemon/src/deploy/local.js";
import { LAYER_ID } from "../../../daemon/src/types.js";
import {
  ALTO_EXECUTOR_INDEX,
  DETERMINISTIC_DEPLOYER,
  DETERMINISTIC_DEPLOYER_CODE,
  devAddress,
  ensureDeterministicDeployer,
  startAlto,
  type AltoBundler,
} from "../../../scripts/lib/bundler.js";
import { buildUserOp, delegateNative, estimatedUserOp, redeemCalldata, smartAccount } from "../../../scripts/lib/traffic.js";
import { waitForState } from "../../../scripts/lib/wait.js";
import { startStack, type NodeKind, type StackEnv } from "../../daemon/helpers/stack.js";

/** The suite on one node implementation; blocks every `blockMs` (anvil: whole seconds). */
export function altoSuite(title: string, node: NodeKind, blockMs: number): void {
  const BLOCK_MS = blockMs;
  /**
   * How many blocks an awaited inclusion may take: generous (Alto bundles within a block or two
   * when idle; a loaded 2-core machine is slower), yet short enough that our own message, naming
   * what was last seen, fails the test before Vitest's 60 s limit does.
   */
  const DEADLINE_BLOCKS = Math.round(40_000 / BLOCK_MS);

  const hubAbi = parseAbi(["function pause(uint8[] layers, bytes32 incident)", "function unpause(uint8[] layers, bytes32 incident)"]);

  let stack: StackEnv;
  let alto: AltoBundler;
  let bundler: BundlerClient;
  let entryPoint: Address;
  let salt = 0x100;
  let deployerPlaced: boolean;

  beforeAll(async () => {
    stack = await startStack({ node });
    entryPoint = stack.deployment.kit.EntryPoint;
    deployerPlaced = await ensureDeterministicDeployer(stack.chain.url);
    alto = await startAlto({ rpcUrl: stack.chain.url, entryPoint, blockTimeMs: BLOCK_MS, extraArgs: ["--enable-debug-endpoints", "true"] });
    bundler = createBundlerClient({ url: alto.url, timeoutMs: 60_000 });
    await stack.intervalMining(BLOCK_MS);
  });

  afterAll(async () => {
    await alto?.stop();
    await stack?.chain.stop();
  });

  const paymasterDeposit = () =>
    stack.client.readContract({ address: entryPoint, abi: parseAbi(["function balanceOf(address) view returns (uint256)"]), functionName: "balanceOf", args: [stack.deployment.guardian.paymaster] });

  const blockNumber = async () => Number(await stack.client.getBlockNumber());

  /** Waits until the chain has produced block `n`. */
  async function untilBlock(n: number) {
    await waitForState({
      what: `block #${n}`,
      probe: async () => {
        const at = await blockNumber();
        return { atBlock: at, seen: `block #${at}`, ...(at >= n ? { value: at } : {}) };
      },
      pollMs: 100,
    });
  }

  /** The guardian Safe pauses or unpauses layers (2 of 3 owners); resolves once mined. */
  async function safeHub(fn: "pause" | "unpause", layers: number[]) {
    const data = encodeFunctionData({ abi: hubAbi, functionName: fn, args: [layers, `0x${"0b".repeat(32)}`] });
    const hash = await safeCall(stack.client as never, stack.deployment.guardian.safe, stack.deployment.guardian.hub, data, [stack.wallets.owner1, stack.wallets.owner2]);
    const receipt = await stack.client.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
  }

  const newAccount = (owner: StackEnv["wallets"]["user"] = stack.wallets.user) =>
    smartAccount(stack.client as never, stack.deployment, owner, `0x${(salt++).toString(16).padStart(64, "0")}`);

  type Account = Awaited<ReturnType<typeof newAccount>>;
  type Calls = Array<{ to: Address; value?: bigint; data?: Hex }>;

  /** As a wallet does it: estimate through the bundler, then sponsor and sign the operation with the estimated limits. */
  async function estimatedOp(account: Account, calls: Calls): Promise<UserOperation<"0.7">> {
    return estimatedUserOp(stack.client as never, stack.deployment, bundler as never, account, { calls, sponsor: stack.wallets.sponsor });
  }

  /** Sends through the bundler and waits, by polling eth_getUserOperationReceipt, until it is included. */
  async function sendAndWait(op: UserOperation<"0.7">) {
    const sent = await bundler.sendUserOperation(op as never, entryPoint);
    if (!sent.ok) throw new Error(`send refused: ${JSON.stringify(sent.error)}`);
    const from = await blockNumber();
    const receipt = await waitForState({
      what: `receipt of user operation ${sent.value}`,
      deadlineBlock: from + DEADLINE_BLOCKS,
      probe: async () => {
        const [r, at] = await Promise.all([bundler.getUserOperationReceipt(sent.value), blockNumber()]);
        if (!r.ok) return { atBlock: at, seen: `${r.error.kind}: ${r.error.message}` };
        return r.value ? { atBlock: at, seen: "receipt", value: r.value } : { atBlock: at, seen: "no receipt yet" };
      },
    });
    expect(receipt.userOpHash).toBe(sent.value);
    return receipt;
  }

  /** Every transaction and log of blocks from..to (inclusive). */
  async function chainActivity(from: number, to: number) {
    const txs: Array<{ hash: Hex; from: Address; to: Address | null }> = []; // addresses lowercase
    for (let n = from; n <= to; n++) {
      const block = await stack.client.getBlock({ blockNumber: BigInt(n), includeTransactions: true });
      for (const tx of block.transactions) txs.push({ hash: tx.hash, from: lower(tx.from) as Address, to: (lower(tx.to) ?? null) as Address | null });
    }
    const logs = await stack.client.getLogs({ fromBlock: BigInt(from), toBlock: BigInt(to) });
    return { txs, logs };
  }

  const lower = (a: string | null | undefined) => a?.toLowerCase();

  describe(title, () => {
    test("serves our chain and EntryPoint, on loopback only", async () => {
      // anvil has the deterministic deployer; EDR gets it from us.
      expect(deployerPlaced).toBe(node === "edr");
      expect(await stack.client.getCode({ address: DETERMINISTIC_DEPLOYER })).toBe(DETERMINISTIC_DEPLOYER_CODE);

      const chainId = await bundler.chainId();
      expect(chainId).toMatchObject({ ok: true, value: `0x${stack.chain.chain.id.toString(16)}` });
      const eps = await bundler.supportedEntryPoints();
      expect(eps.ok && eps.value.map(lower)).toEqual([lower(entryPoint)]);

      // The listening socket is bound to 127.0.0.1 (Linux's table of TCP sockets; Alto itself asks for 0.0.0.0).
      expect(listeningAddresses(alto.port)).toEqual(["127.0.0.1"]);
      // And nothing answers on the machine's other addresses, while loopback does.
      expect(await tcpConnect("127.0.0.1", alto.port)).toBe("connected");
      for (const address of externalAddresses()) expect(await tcpConnect(address, alto.port), address).toBe("ECONNREFUSED");
    });

    test("a start that cannot work says why: the port taken, Alto's own refusal with its last lines", async () => {
      await expect(startAlto({ rpcUrl: stack.chain.url, entryPoint, port: alto.port })).rejects.toThrow(`127.0.0.1:${alto.port}: the port is taken`);
      // An EntryPoint with no code: Alto refuses at start, and its reason is in our error.
      const nowhere: Address = "0x000000000000000000000000000000000000dEaD";
      await expect(startAlto({ rpcUrl: stack.chain.url, entryPoint: nowhere })).rejects.toThrow(/Alto exited during start[\s\S]*entry point 0x000000000000000000000000000000000000dEaD does not exist/);
    });

    test("(a) a sponsored account creation sent with eth_sendUserOperation is included, success=true", async () => {
      const account = await newAccount();
      expect(await stack.client.getCode({ address: account.address })).toBeUndefined();
      const op = await estimatedOp(account, [{ to: stack.wallets.stranger.account.address, value: 0n }]);
      expect(op.factory).toBe(stack.deployment.guardian.accountFactory);
      const receipt = await sendAndWait(op);
      expect(receipt.success).toBe(true);
      expect(lower(receipt.paymaster as string)).toBe(lower(stack.deployment.guardian.paymaster));
      expect((await stack.client.getCode({ address: account.address }))?.length).toBeGreaterThan(2);

      // It reached the chain as a bundle from Alto's executor to the EntryPoint: what the check in (b) looks for.
      const at = Number(BigInt(receipt.receipt.blockNumber));
      const { txs, logs } = await chainActivity(at, at);
      expect(txs).toContainEqual({ hash: receipt.receipt.transactionHash, from: lower(devAddress(ALTO_EXECUTOR_INDEX)), to: lower(entryPoint) });
      expect(logs.some((l) => lower(l.address) === lower(entryPoint))).toBe(true);
      // The bundler's by-hash lookup agrees.
      const byHash = await bundler.getUserOperationByHash(receipt.userOpHash);
      expect(byHash.ok && lower(byHash.value?.entryPoint)).toBe(lower(entryPoint));
    });

    test("(b) the accountFactory layer paused: creation refused at estimate and send (AA13), nothing reaches the chain", async () => {
      await safeHub("pause", [LAYER_ID.accountFactory]);
      const from = (await blockNumber()) + 1;
      const account = await newAccount();
      const op = await buildUserOp(stack.client as never, stack.deployment, account, { calls: [{ to: stack.wallets.stranger.account.address, value: 0n }], sponsor: stack.wallets.sponsor });
      try {
        const estimate = await bundler.estimateUserOperationGas(op as never, entryPoint);
        expect(estimate.ok).toBe(false);
        if (estimate.ok) return;
        // Alto passes on only the EntryPoint's reason string: GuardedAccountFactoryPaused() does not reach the user.
        expect(estimate.error).toEqual({ kind: "refused", rpcCode: -32500, aa: "AA13", message: expect.stringContaining("AA13 initCode failed or OOG") });

        const sent = await bundler.sendUserOperation(op as never, entryPoint);
        expect(sent.ok).toBe(false);
        if (sent.ok) return;
        expect(sent.error).toMatchObject({ kind: "refused", rpcCode: -32500, aa: "AA13" });

        // Not kept for later either: Alto's mempool is empty, and a wallet polling for the operation finds nothing.
        expect(await altoRpc(alto.url, "debug_bundler_dumpMempool", [entryPoint])).toEqual([]);
        const hash = getUserOperationHash({ userOperation: op, entryPointAddress: entryPoint, entryPointVersion: "0.7", chainId: stack.chain.chain.id });
        expect(await bundler.getUserOperationReceipt(hash)).toMatchObject({ ok: true, value: null });

        // Over the blocks the chain produced meanwhile: no transaction at all, no event, no account.
        const to = from + 6;
        await untilBlock(to);
        const { txs, logs } = await chainActivity(from, to);
        expect(txs).toEqual([]);
        expect(logs).toEqual([]);
        expect(await stack.client.getCode({ address: account.address })).toBeUndefined();
      } finally {
        await safeHub("unpause", [LAYER_ID.accountFactory]);
      }
      // The same creation estimates again once the layer is unpaused: the pause was the cause.
      expect((await bundler.estimateUserOperationGas(op as never, entryPoint)).ok).toBe(true);
    });

    test("(c) the delegation layer paused: a redemption's estimate fails with EnforcedPause() decoded; sent anyway, it fails on chain at the paymaster's cost", async () => {
      const delegator = await newAccount(stack.wallets.user);
      const delegate = await newAccount(stack.wallets.delegate);
      for (const account of [delegator, delegate]) {
        expect((await sendAndWait(await estimatedOp(account, [{ to: stack.wallets.stranger.account.address, value: 0n }]))).success).toBe(true);
      }
      await stack.rpc(node === "anvil" ? "anvil_setBalance" : "hardhat_setBalance", [delegator.address, `0x${parseEther("1").toString(16)}`]);
      const delegation = await delegateNative(stack.deployment, delegator, delegate.address, parseEther("0.5"));
      const recipient = stack.wallets.stranger.account.address;
      const calls: Calls = [{ to: stack.deployment.kit.DelegationManager, data: redeemCalldata(delegation, recipient, parseEther("0.1")) }];

      await safeHub("pause", [LAYER_ID.delegation]);
      try {
        const op = await buildUserOp(stack.client as never, stack.deployment, delegate, { calls, sponsor: stack.wallets.sponsor });
        const estimate = await bundler.estimateUserOperationGas(op as never, entryPoint);
        expect(estimate.ok).toBe(false);
        if (estimate.ok) return;
        expect(estimate.error).toMatchObject({ kind: "refused", rpcCode: -32521, message: expect.stringContaining("0xd93c0665"), revert: { kind: "custom", name: "EnforcedPause", args: {} } });
        expect(estimate.error).not.toHaveProperty("aa");

        // A wallet that sends anyway: Alto checks only the validation phase, so the operation is
        // included and fails, the paymaster pays for it, and the value does not move.
        const deposit = await paymasterDeposit();
        const balance = await stack.client.getBalance({ address: recipient });
        const failed = await sendAndWait(op);
        expect(failed.success).toBe(false);
        // The receipt's reason (the EntryPoint's UserOperationRevertReason), decoded by the client.
        expect(failed.revert).toEqual({ kind: "custom", name: "EnforcedPause", args: {} });
        expect(deposit - (await paymasterDeposit())).toBe(BigInt(failed.actualGasCost!));
        expect(await stack.client.getBalance({ address: recipient })).toBe(balance);
      } finally {
        await safeHub("unpause", [LAYER_ID.delegation]);
      }

      // Unpaused, the same redemption goes through the bundler and moves the value.
      const before = await stack.client.getBalance({ address: recipient });
      const receipt = await sendAndWait(await estimatedOp(delegate, calls));
      expect(receipt.success).toBe(true);
      expect((await stack.client.getBalance({ address: recipient })) - before).toBe(parseEther("0.1"));
    });

    test("the entryPoint layer (paymaster) paused: a sponsored operation is refused with AA33 and GuardedPaymasterPaused() decoded", async () => {
      const account = await newAccount();
      const op = await buildUserOp(stack.client as never, stack.deployment, account, { calls: [{ to: stack.wallets.stranger.account.address, value: 0n }], sponsor: stack.wallets.sponsor });
      await safeHub("pause", [LAYER_ID.entryPoint]);
      try {
        for (const result of [await bundler.estimateUserOperationGas(op as never, entryPoint), await bundler.sendUserOperation(op as never, entryPoint)]) {
          expect(result.ok).toBe(false);
          if (result.ok) continue;
          // Unlike the factory's, the paymaster's own error is passed on ("AA33 reverted 0xa4b20a60").
          expect(result.error).toMatchObject({ kind: "refused", rpcCode: -32501, aa: "AA33", revert: { kind: "custom", name: "GuardedPaymasterPaused", args: {} } });
        }
        expect(await altoRpc(alto.url, "debug_bundler_dumpMempool", [entryPoint])).toEqual([]);
      } finally {
        await safeHub("unpause", [LAYER_ID.entryPoint]);
      }
      expect((await bundler.estimateUserOperationGas(op as never, entryPoint)).ok).toBe(true);
    });

    test("(d) a stopped bundler is reported unreachable, without a throw; its process group is gone", async () => {
      // Its own keys (dev accounts 16, 17: unused elsewhere), so it never races the shared Alto's nonces.
      const own = await startAlto({ rpcUrl: stack.chain.url, entryPoint, blockTimeMs: BLOCK_MS, executorIndexes: [17], utilityIndex: 16 });
      const client = createBundlerClient({ url: own.url, timeoutMs: 10_000 });
      expect((await client.chainId()).ok).toBe(true);
      await own.stop();
      expect(own.running()).toBe(false);
      expect(() => process.kill(-own.pid, 0)).toThrow(/ESRCH/);

      const op = await buildUserOp(stack.client as never, stack.deployment, await newAccount(), { calls: [{ to: stack.wallets.stranger.account.address, value: 0n }], sponsor: stack.wallets.sponsor });
      for (const result of [await client.chainId(), await client.supportedEntryPoints(), await client.estimateUserOperationGas(op as never, entryPoint), await client.getUserOperationReceipt(`0x${"00".repeat(32)}`)]) {
        expect(result.ok).toBe(false);
        if (result.ok) continue;
        expect(result.error.kind).toBe("unreachable");
        expect(result.error.message).toContain("ECONNREFUSED");
      }
    });
  });
}

/** One JSON-RPC call to a bundler (for Alto's debug methods); throws on an error. */
async function altoRpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: unknown };
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result as T;
}

/** The local addresses with a TCP socket listening on `port`, from /proc/net/tcp{,6}. */
function listeningAddresses(port: number): string[] {
  const out: string[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== "0A") continue; // 0A: LISTEN
      const [addr, portHex] = local.split(":");
      if (Number.parseInt(portHex!, 16) !== port) continue;
      out.push(addr!.length === 8 ? addr!.match(/../g)!.reverse().map((b) => Number.parseInt(b, 16)).join(".") : `[${addr}]`);
    }
  }
  return out;
}

/** The machine's addresses other than loopback (and IPv6 link-local, which needs a scope). */
function externalAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((i) => i && !i.internal && !i.address.startsWith("fe80:"))
    .map((i) => i!.address);
}

/** What a TCP connection to host:port gives: "connected", or the error code (ECONNREFUSED...). */
function tcpConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (outcome: string) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.once("connect", () => done("connected"));
    socket.once("error", (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
    socket.setTimeout(10_000, () => done("no answer"));
  });
}
