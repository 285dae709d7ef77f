/**
 * The sentinel's pause on a chain without EIP-1559: Foundry's anvil at the
 * berlin hardfork (pre-London: blocks carry no base fee, type-2
 * transactions are refused), chain id 138, started on a free loopback port
 * (scripts/lib/anvil.ts). The kit needs Shanghai+, so only the hub and the
 * guarded factory are deployed (compiled for berlin).
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createPublicClient, createWalletClient, defineChain, http, keccak256, toHex, type Address } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { DEV_MNEMONIC } from "../../scripts/lib/local-chain.js";
import { startAnvil, type AnvilNode } from "../../scripts/lib/anvil.js";
import { sendSentinelPause, type PauseJournalEntry } from "../../daemon/src/respond/pause-sender.js";
import { berlinArtifacts } from "./helpers/berlin-build.js";
import { fileJournal } from "./helpers/file-journal.js";

const SENTINEL_ROLE = keccak256(toHex("SENTINEL_ROLE"));
let anvil: AnvilNode;
let url: string;

beforeAll(async () => {
  anvil = await startAnvil({ hardfork: "berlin", chainId: 138 });
  url = anvil.url;
}, 60_000);
afterAll(async () => {
  await anvil?.stop();
});

describe("a pause on a legacy-fee chain (anvil, berlin)", () => {
  it("lands with a type-0 transaction", async () => {
    const chain = defineChain({ id: 138, name: "berlin-138", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [url] } } });
    const client = createPublicClient({ chain, transport: http(url, { retryCount: 0 }) });
    const account = (i: number) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i });
    const wallet = (i: number) => createWalletClient({ chain, transport: http(url, { retryCount: 0 }), account: account(i) });
    const deployer = wallet(0);
    const guardian = wallet(6);
    const sentinel = account(1);
    expect((await client.getBlock()).baseFeePerGas ?? null).toBeNull();
    const art = await berlinArtifacts();
    const deploy = async (a: typeof art.GuardianHub, args: unknown[]) =>
      (await client.waitForTransactionReceipt({ hash: await deployer.deployContract({ abi: a.abi, bytecode: a.bytecode, args, type: "legacy" } as never) })).contractAddress as Address;
    const hub = await deploy(art.GuardianHub, [deployer.account.address, guardian.account.address, 3600n, 3600n]);
    const factory = await deploy(art.GuardedAccountFactory, [hub, deployer.account.address]);
    const write = async (w: typeof deployer, functionName: string, args: unknown[]) =>
      client.waitForTransactionReceipt({ hash: await w.writeContract({ address: hub, abi: art.GuardianHub.abi, functionName, args, type: "legacy" } as never) });
    await write(deployer, "setLayerTargets", [1, [factory]]);
    await write(guardian, "grantRole", [SENTINEL_ROLE, sentinel.address]);

    const journalFile = path.join(mkdtempSync(path.join(tmpdir(), "guardian-legacy-")), "j.json");
    const out = await sendSentinelPause(
      { clients: [client as never], chain, sentinel, hub, journal: fileJournal(journalFile) },
      { incidentKey: "legacy-1", incidentRef: keccak256(toHex("legacy-1")), layers: ["accountFactory"] },
    );
    expect(out.kind).toBe("paused");
    if (out.kind !== "paused") return;
    expect(out.confirmed).toBe(true);
    const tx = await client.getTransaction({ hash: out.txHash });
    expect(tx.type).toBe("legacy");
    const entry = JSON.parse(readFileSync(journalFile, "utf8"))["legacy-1"] as PauseJournalEntry;
    expect(entry.attempts.map((a) => a.type)).toEqual(["legacy"]);
  }, 120_000);
});
