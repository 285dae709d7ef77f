/**
 * The baseline: what a user would write instead of Guardian, with viem's
 * defaults. A public client on the chain as viem defines chain 138
 * (`defiOracleMetaMainnet`: no `blockTime`, so viem polls every 4 s), HTTP
 * transport with its default retries, `watchBlocks` for the block-based
 * checks, one `watchContractEvent` per watched contract, and a handler that
 * sends `sentinelPause` with `writeContract` when a guarded contract's
 * ownership moves to an unknown account.
 */
import { entryPoint07Abi } from "viem/account-abstraction";
import {
  type Abi,
  type AbiEvent,
  toEventSelector,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  keccak256,
  parseAbi,
  type Address,
  type Hex,
  type Log,
  type LocalAccount,
} from "viem";
import { DelegationManager } from "@metamask/delegation-abis";
import { guardianArtifact } from "../../daemon/src/deploy/artifacts.js";

/** Events a user watching the stack would decode: the hub's, the EntryPoint's, the DelegationManager's, the guarded contracts' (Ownable, Pausable). */
export const WATCH_ABI: Abi = dedupeEvents([
  ...(guardianArtifact("GuardianHub").abi as Abi),
  ...(guardianArtifact("GuardedPaymaster").abi as Abi),
  ...(guardianArtifact("GuardedAccountFactory").abi as Abi),
  ...entryPoint07Abi,
  ...(DelegationManager as Abi),
]);

function dedupeEvents(abi: Abi): Abi {
  const seen = new Map<string, AbiEvent>();
  for (const item of abi) if (item.type === "event") seen.set(toEventSelector(item), item);
  return [...seen.values()];
}

/** topic0 of every event in WATCH_ABI. */
export const WATCH_TOPICS = new Set(WATCH_ABI.filter((x): x is AbiEvent => x.type === "event").map((e) => toEventSelector(e)));

const sentinelPauseAbi = parseAbi(["function sentinelPause(uint8[] layers, bytes32 incident)"]);

export interface BaselineOptions {
  url: string;
  chainId: number;
  addresses: readonly Address[];
  /** Accounts that may own the contracts; a transfer to anyone else is the symptom. */
  trusted: readonly Address[];
  /** Contracts whose takeover the baseline answers with a pause, and the layer id it pauses. */
  pauseOn?: Readonly<Record<string, number>>;
  hub?: Address;
  sentinel?: LocalAccount;
}

export interface BaselineDetection {
  contract: Address;
  blockNumber: number;
  txHash: Hex;
  /** performance.now() when the handler saw the log. */
  seenAt: number;
  /** performance.now() when writeContract returned (the pause was sent), and its hash. */
  sentAt?: number;
  pauseHash?: Hex;
  error?: string;
}

export interface Baseline {
  /** Block numbers `watchBlocks` handed over. */
  blocks: Set<number>;
  /** Logs handed over, all watchers together. */
  logs: number;
  detections: BaselineDetection[];
  errors: string[];
  stop(): void;
}

/** viem's own definition of chain 138 has no blockTime; so does this one (viem then polls every 4 s). */
export function baselineChain(chainId: number, url: string) {
  return defineChain({ id: chainId, name: `chain ${chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [url] } } });
}

export function startBaseline(o: BaselineOptions): Baseline {
  const chain = baselineChain(o.chainId, o.url);
  const client = createPublicClient({ chain, transport: http(o.url) });
  const wallet = o.sentinel ? createWalletClient({ chain, transport: http(o.url), account: o.sentinel }) : undefined;
  const trusted = new Set(o.trusted.map((a) => a.toLowerCase()));
  const pauseOn = new Map(Object.entries(o.pauseOn ?? {}).map(([a, l]) => [a.toLowerCase(), l]));
  const state: Baseline = { blocks: new Set(), logs: 0, detections: [], errors: [], stop: () => {} };
  const unwatch: Array<() => void> = [];

  unwatch.push(client.watchBlocks({ onBlock: (b) => void state.blocks.add(Number(b.number)), onError: (e) => void state.errors.push(e.message) }));

  const onLogs = (logs: Log[]) => {
    state.logs += logs.length;
    for (const log of logs as Array<Log & { eventName?: string; args?: { newOwner?: Address } }>) {
      if (log.eventName !== "OwnershipTransferred" && log.eventName !== "OwnershipTransferStarted") continue;
      const newOwner = log.args?.newOwner?.toLowerCase();
      if (!newOwner || trusted.has(newOwner)) continue;
      const contract = log.address.toLowerCase() as Address;
      const detection: BaselineDetection = { contract, blockNumber: Number(log.blockNumber), txHash: log.transactionHash!, seenAt: performance.now() };
      state.detections.push(detection);
      const layer = pauseOn.get(contract);
      if (layer === undefined || !wallet || !o.hub) continue;
      wallet
        .writeContract({ address: o.hub, abi: sentinelPauseAbi, functionName: "sentinelPause", args: [[layer], keccak256(log.transactionHash!)] })
        .then((hash) => {
          detection.sentAt = performance.now();
          detection.pauseHash = hash;
        })
        .catch((e: Error) => {
          detection.error = e.message.split("\n")[0];
        });
    }
  };
  for (const address of o.addresses) {
    unwatch.push(client.watchContractEvent({ address, abi: WATCH_ABI, onLogs, onError: (e) => void state.errors.push(e.message) }));
  }
  state.stop = () => {
    for (const u of unwatch) u();
  };
  return state;
}

/**
 * The baseline catching up after downtime: `watchContractEvent` per contract
 * from `fromBlock` (its documented way to start in the past). Counts the logs
 * it hands over within `waitMs`.
 */
export async function baselineCatchUp(o: { url: string; chainId: number; addresses: readonly Address[]; fromBlock: number; expected: number; waitMs: number }) {
  const chain = baselineChain(o.chainId, o.url);
  const client = createPublicClient({ chain, transport: http(o.url) });
  let delivered = 0;
  let doneAt: number | undefined;
  const started = performance.now();
  const unwatch = o.addresses.map((address) =>
    client.watchContractEvent({
      address,
      abi: WATCH_ABI,
      fromBlock: BigInt(o.fromBlock),
      onLogs: (logs) => {
        delivered += logs.length;
        if (delivered >= o.expected && doneAt === undefined) doneAt = performance.now();
      },
    }),
  );
  const deadline = started + o.waitMs;
  while (performance.now() < deadline && doneAt === undefined) await new Promise((r) => setTimeout(r, 50));
  for (const u of unwatch) u();
  return { delivered, expected: o.expected, ms: (doneAt ?? performance.now()) - started, complete: doneAt !== undefined };
}
