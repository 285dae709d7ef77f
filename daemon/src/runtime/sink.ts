/**
 * The follower's sink on Guardian's store: each committed block, its
 * detector state, its findings and the incidents they open or update are
 * written in ONE store update, with the checkpoint that includes the block.
 * A crash therefore leaves either everything of a block or nothing of it, and
 * the follower re-processes from the checkpoint: exactly once.
 *
 * The detector state is kept with snapshots of the last few blocks so that a
 * reorg restores the state as of the common ancestor. A reorg deeper than the
 * snapshots resets the detectors' windows (they refill in a few blocks) and
 * says so in the log.
 *
 * Findings are folded into incidents here (pure `correlateFinding`); the
 * actions that result (notify, pause) are handed to `onActions` only after
 * the write is durable.
 */
import type { FollowerCheckpoint, FollowerSink } from "../chain/follower.js";
import { correlateFinding, addTimelineEntry, timelineEntryId, type IncidentAction } from "../incidents/index.js";
import { initialPipelineState, processBlock, processReorg, withRevertData, type PipelineConfig, type PipelineState, type RevertLookup } from "../pipeline/index.js";
import type { GuardianStore } from "../store/index.js";
import type { StoreData } from "../store/schema.js";
import type { BlockFacts, BlockId, Finding, FindingRecord, Layer, ReorgFacts, SlaMinutes } from "../types.js";

/** How many recent blocks keep a copy of the detector state (the deepest reorg restored exactly). */
export const STATE_SNAPSHOTS = 16;

interface PersistedDetectorState {
  current: PipelineState;
  snapshots: Array<{ number: number; hash: string; state: PipelineState }>;
}

export interface StoreSinkOptions {
  store: GuardianStore;
  pipeline: PipelineConfig;
  /** config.autoPause */
  autoPause: Readonly<Record<Layer, boolean>>;
  sla?: Readonly<SlaMinutes>;
  clock: () => Date;
  /** Keep every processed (number, hash) in the store (tests prove exactly-once with it). */
  recordProcessed?: boolean;
  onActions?: (actions: IncidentAction[]) => void;
  onFindings?: (findings: Finding[]) => void;
  /** Fetches the revert data of reverted transactions before the detectors run. */
  revertLookup?: RevertLookup;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** The block pipeline's state in the store; other keys (e.g. the pause-ability watch's) are kept as they are. */
function detectorState(data: StoreData): PersistedDetectorState {
  const raw = data.detectorState as Partial<PersistedDetectorState>;
  if (raw && raw.current && Array.isArray(raw.snapshots)) return raw as PersistedDetectorState;
  return { ...raw, current: initialPipelineState(), snapshots: [] };
}

/**
 * Folds findings into the draft's incidents and findings list; returns the
 * actions to carry out once the write is durable. Shared by block commits,
 * reorgs and health findings.
 */
export function foldFindings(
  draft: StoreData,
  findings: readonly Finding[],
  ctx: { now: Date; autoPause: Readonly<Record<Layer, boolean>>; sla?: Readonly<SlaMinutes>; lastOccurrence?: (key: string) => number | undefined },
): IncidentAction[] {
  const actions: IncidentAction[] = [];
  for (const finding of findings) {
    const result = correlateFinding(draft.incidents, finding, {
      now: ctx.now,
      autoPause: ctx.autoPause,
      ...(ctx.sla ? { sla: ctx.sla } : {}),
      ...(ctx.lastOccurrence ? { lastOccurrence: ctx.lastOccurrence } : {}),
    });
    const record: FindingRecord = { ...finding };
    if (result.incident) {
      draft.incidents[result.incident.id] = result.incident;
      record.incidentId = result.incident.id;
    }
    draft.findings.push(record);
    actions.push(...result.actions);
  }
  // The store bounds the hot findings list and archives the overflow.
  return actions;
}

export function createStoreSink(options: StoreSinkOptions): FollowerSink {
  const { store, pipeline, clock } = options;
  const log = options.log ?? (() => {});
  const foldOptions = {
    autoPause: options.autoPause,
    ...(options.sla ? { sla: options.sla } : {}),
    lastOccurrence: (key: string) => store.history.lastOccurrence(key),
  };

  const commit = async (raw: ReadonlyArray<{ facts: BlockFacts; checkpoint: FollowerCheckpoint }>) => {
    const last = raw[raw.length - 1];
    if (!last) return;
    // Revert data first (RPC), so the store write itself stays pure and short.
    const lookup = options.revertLookup;
    const items = lookup ? await Promise.all(raw.map(async (i) => ({ ...i, facts: await withRevertData(i.facts, lookup) }))) : raw;
    const { actions, findings } = await store.update((draft) => {
      const ds = detectorState(draft);
      const allActions: IncidentAction[] = [];
      const allFindings: Finding[] = [];
      for (const { facts } of items) {
        const result = processBlock(facts, ds.current, pipeline);
        ds.current = result.nextState;
        ds.snapshots.push({ number: facts.block.number, hash: facts.block.hash, state: result.nextState });
        if (result.findings.length) {
          allFindings.push(...result.findings);
          allActions.push(...foldFindings(draft, result.findings, { now: clock(), ...foldOptions }));
        }
        draft.chain.processedCount += 1;
        if (options.recordProcessed || draft.chain.processedLog) {
          (draft.chain.processedLog ??= []).push({ number: facts.block.number, hash: facts.block.hash });
        }
      }
      if (ds.snapshots.length > STATE_SNAPSHOTS) ds.snapshots.splice(0, ds.snapshots.length - STATE_SNAPSHOTS);
      draft.detectorState = ds as unknown as Record<string, unknown>;
      draft.chain.ring = last.checkpoint.ring.map((b) => ({ number: b.number, hash: b.hash }));
      return { actions: allActions, findings: allFindings };
    });
    if (findings.length) options.onFindings?.(findings);
    if (actions.length) options.onActions?.(actions);
  };

  return {
    async loadCheckpoint() {
      const ring = store.read().chain.ring;
      return ring.length ? { ring: ring.map((b) => ({ number: b.number, hash: b.hash })) } : undefined;
    },
    commitBlock(facts, checkpoint) {
      return commit([{ facts, checkpoint }]);
    },
    commitBlocks(items) {
      return commit(items);
    },
    async rewind(ancestor: BlockId, dropped: BlockId[], checkpoint: FollowerCheckpoint, reorg: ReorgFacts) {
      const droppedHashes = new Set(dropped.map((b) => b.hash.toLowerCase()));
      const { actions, findings } = await store.update((draft) => {
        const now = clock();
        // 1. The detector state as of the ancestor.
        const ds = detectorState(draft);
        const at = ds.snapshots.findIndex((s) => s.number === ancestor.number && s.hash.toLowerCase() === ancestor.hash.toLowerCase());
        if (at >= 0) {
          ds.current = ds.snapshots[at]!.state;
          ds.snapshots.splice(at + 1);
        } else {
          log("reorg deeper than the detector-state snapshots: detector windows restart", { ancestor: ancestor.number, dropped: dropped.length });
          ds.current = { ...initialPipelineState(), rpcHealth: ds.current.rpcHealth };
          ds.snapshots = [];
        }
        draft.detectorState = ds as unknown as Record<string, unknown>;
        // 2. The checkpoint, and the processed log, without the dropped blocks.
        draft.chain.ring = checkpoint.ring.map((b) => ({ number: b.number, hash: b.hash }));
        draft.chain.processedCount = Math.max(0, draft.chain.processedCount - dropped.length);
        if (draft.chain.processedLog) {
          draft.chain.processedLog = draft.chain.processedLog.filter((b) => !droppedHashes.has(b.hash.toLowerCase()));
        }
        // 3. What the dropped blocks produced: marked, never silently deleted.
        for (const f of draft.findings) if (f.evidence && droppedHashes.has(f.evidence.blockHash.toLowerCase())) f.reorged = true;
        for (const [id, incident] of Object.entries(draft.incidents)) {
          const hit = incident.timeline.filter((e) => e.evidence && droppedHashes.has(e.evidence.blockHash.toLowerCase()));
          let next = incident;
          for (const e of hit) {
            next = addTimelineEntry(
              next,
              {
                id: timelineEntryId(incident.id, "reorged", e.id),
                kind: "note",
                message: `Evidence at block ${e.evidence!.blockNumber} (${e.evidence!.blockHash}) was dropped by a reorg; the block is no longer canonical.`,
                public: false,
                evidence: e.evidence!,
              },
              now,
            );
          }
          if (next !== incident) draft.incidents[id] = next;
        }
        // 4. The reorg itself is a finding (on chain 138, with instant finality, any reorg is suspicious).
        const result = processReorg(reorg, ds.current, pipeline);
        const acts = foldFindings(draft, result.findings, { now, ...foldOptions });
        return { actions: acts, findings: result.findings };
      });
      if (findings.length) options.onFindings?.(findings);
      if (actions.length) options.onActions?.(actions);
    },
  };
}
