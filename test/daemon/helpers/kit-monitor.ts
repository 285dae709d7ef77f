/**
 * The daemon's eyes and brain on a real chain, for the kit's integration
 * tests: a `hardhat node` with the whole stack deployed, and a FollowerSink
 * that does what the wiring does with each committed block — fetch the
 * revert data of its reverted transactions, run `processBlock`, fold the
 * findings into incidents with `correlateFinding` — and keeps everything it
 * would persist as JSON (so a "restart" is a new sink from that JSON).
 */
import { createPublicClient, createWalletClient, defineChain, http, type Chain, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { BlockFollower, type FollowerCheckpoint, type FollowerSink } from "../../../daemon/src/chain/follower.js";
import { RpcPool } from "../../../daemon/src/chain/rpc-pool.js";
import type { Deployment } from "../../../daemon/src/deploy/guardian.js";
import { deployLocalStack, roleWallets, type RoleWallets } from "../../../daemon/src/deploy/local.js";
import { correlateFinding } from "../../../daemon/src/incidents/index.js";
import {
  initialPipelineState,
  kitWatchConfig,
  processBlock,
  withRevertData,
  type PipelineConfig,
  type PipelineState,
  type RevertLookup,
} from "../../../daemon/src/pipeline/index.js";
import type { Address, BlockFacts, BlockId, Finding, Incident, Layer, ReorgFacts } from "../../../daemon/src/types.js";
import type { ScenarioContext } from "../../../scripts/lib/scenarios.js";
import { startHardhatNode, type HardhatNode } from "./hardhat-node.js";
import { waitFor } from "./memory-sink.js";

const DEV_MNEMONIC = "test test test test test test test test test test test junk";
export const AUTO_PAUSE_ALL: Record<Layer, boolean> = { entryPoint: true, accountFactory: true, delegation: true };

export interface KitChain {
  node: HardhatNode;
  chain: Chain;
  client: ReturnType<typeof createPublicClient>;
  roles: RoleWallets;
  deployment: Deployment;
  ctx: ScenarioContext;
  /** Every contract the daemon watches (the wiring's list). */
  watched: Address[];
  pipeline: PipelineConfig;
  stop(): Promise<void>;
}

/** A node with the kit, Guardian and the guardian Safe deployed (about 3 s). */
export async function startKitChain(): Promise<KitChain> {
  const node = await startHardhatNode();
  try {
    const chain = defineChain({
      id: 31337,
      name: "kit-test",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [node.url] } },
    });
    const transport = http(node.url, { retryCount: 0 });
    const client = createPublicClient({ chain, transport, pollingInterval: 50 });
    const wallets = Array.from({ length: 10 }, (_, i) => createWalletClient({ chain, transport, account: mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }) }));
    const roles = roleWallets(wallets as never);
    const deployment = await deployLocalStack(client as never, roles);
    const watched = [deployment.guardian.hub, deployment.guardian.paymaster, deployment.guardian.accountFactory, deployment.kit.EntryPoint, deployment.kit.DelegationManager, deployment.guardian.safe];
    const pipeline: PipelineConfig = {
      chainId: 31337,
      blockTimeMs: 100,
      decode: {
        hub: deployment.guardian.hub,
        targets: { [deployment.guardian.paymaster]: "entryPoint", [deployment.guardian.accountFactory]: "accountFactory", [deployment.kit.DelegationManager]: "delegation" },
      },
      kit: kitWatchConfig(deployment),
    };
    return {
      node,
      chain,
      client,
      roles,
      deployment,
      ctx: { client: client as never, wallets: roles, deployment },
      watched,
      pipeline,
      stop: () => node.stop(),
    };
  } catch (error) {
    await node.stop();
    throw error;
  }
}

/**
 * Revert data through `debug_traceTransaction` with the call tracer: the
 * top call's `output` when it failed. (The wiring may do the same, or replay
 * the call with `eth_call` at the parent block.)
 */
export function traceRevertLookup(node: HardhatNode): RevertLookup {
  return async (tx) => {
    const trace = await node.rpc<{ error?: string; output?: Hex }>("debug_traceTransaction", [tx.hash, { tracer: "callTracer" }]);
    return trace.error !== undefined ? (trace.output ?? "0x") : undefined;
  };
}

/** What the wiring persists with each block's checkpoint. */
export interface Persisted {
  checkpoint?: FollowerCheckpoint;
  state: PipelineState;
  incidents: Record<string, Incident>;
  findings: Finding[];
}

export class MonitorSink implements FollowerSink {
  private data: Persisted;
  /** Every block number committed by this sink, in order. */
  readonly committed: number[] = [];
  /** With `keepHistory`: the persisted JSON after each committed block. */
  readonly history = new Map<number, string>();
  keepHistory = false;
  /** The last block this sink accepts (see `follow`). */
  limit: number | undefined;

  constructor(
    private readonly pipeline: PipelineConfig,
    private readonly lookup: RevertLookup,
    persisted?: string,
  ) {
    this.data = persisted ? (JSON.parse(persisted) as Persisted) : { state: initialPipelineState(), incidents: {}, findings: [] };
  }

  async loadCheckpoint(): Promise<FollowerCheckpoint | undefined> {
    return this.data.checkpoint ? (JSON.parse(JSON.stringify(this.data.checkpoint)) as FollowerCheckpoint) : undefined;
  }

  async commitBlock(facts: BlockFacts, checkpoint: FollowerCheckpoint): Promise<void> {
    // A daemon stopped right after `limit`: later blocks are refused (the follower retries them until stopped).
    if (this.limit !== undefined && facts.block.number > this.limit) throw new Error(`block ${facts.block.number} is beyond this run's limit ${this.limit}`);
    const enriched = await withRevertData(facts, this.lookup);
    const result = processBlock(enriched, this.data.state, this.pipeline);
    const incidents = { ...this.data.incidents };
    const now = new Date(facts.block.timestamp * 1000);
    for (const finding of result.findings) {
      const { incident } = correlateFinding(incidents, finding, { now, autoPause: AUTO_PAUSE_ALL });
      if (incident) incidents[incident.id] = incident;
    }
    // One "atomic write": everything goes through JSON, like a store would.
    this.data = JSON.parse(JSON.stringify({ checkpoint, state: result.nextState, incidents, findings: [...this.data.findings, ...result.findings] })) as Persisted;
    this.committed.push(facts.block.number);
    if (this.keepHistory) this.history.set(facts.block.number, this.persisted());
  }

  async rewind(_ancestor: BlockId, _dropped: BlockId[], _checkpoint: FollowerCheckpoint, reorg: ReorgFacts): Promise<void> {
    throw new Error(`unexpected reorg in a kit test: ${JSON.stringify(reorg)}`);
  }

  tip(): number | undefined {
    return this.data.checkpoint?.ring.at(-1)?.number;
  }

  get findings(): Finding[] {
    return this.data.findings;
  }

  get incidents(): Incident[] {
    return Object.values(this.data.incidents);
  }

  get state(): PipelineState {
    return this.data.state;
  }

  /** The JSON this sink would have on disk now. */
  persisted(): string {
    return JSON.stringify(this.data);
  }
}

/** Follows the chain from `fromBlock` (or the sink's checkpoint) with the real BlockFollower until the sink has `toBlock` (default: the head), and no further. */
export async function follow(kit: KitChain, sink: MonitorSink, fromBlock: number, toBlock?: number): Promise<void> {
  const target = toBlock ?? (await kit.node.blockNumber());
  sink.limit = target;
  const pool = new RpcPool({ endpoints: [kit.node.url], chainId: 31337, timeoutMs: 5_000 });
  const follower = new BlockFollower({ pool, sink, addresses: kit.watched, blockTimeMs: 100, startBlock: fromBlock, surveyIntervalMs: 60_000 });
  const running = follower.run();
  try {
    await waitFor(() => (sink.tip() ?? -1) >= target, 30_000, `the follower to reach block ${target}`);
  } finally {
    await follower.stop();
    await running.catch(() => {});
  }
}

/** The persisted data without what only the wall clock decides (findings' observedAt): equal for equal chains. */
export function comparable(persisted: string): unknown {
  const data = JSON.parse(persisted) as Persisted;
  return { ...data, findings: data.findings.map(({ observedAt: _ignored, ...rest }) => rest) };
}

/** Findings by key: "key severity" strings, for readable assertions. */
export function keysOf(findings: readonly Finding[]): string[] {
  return [...new Set(findings.map((f) => `${f.key} ${f.severity}${f.recovered ? " recovered" : ""}`))];
}
