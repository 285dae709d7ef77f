import { appendFileSync, copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { aFinding, anIncident, at, T0 } from "../incidents/test-builders.js";
import { transition } from "../incidents/lifecycle.js";
import { AmbiguousIncidentIdError, IncidentNotFoundError } from "../incidents/errors.js";
import { foldFindings } from "../runtime/sink.js";
import type { Incident } from "../types.js";
import { StoreCorruptError } from "./errors.js";
import { HISTORY_DIR } from "./history.js";
import { openLowdbStore, STORE_FILE, type OpenLowdbStoreParameters } from "./lowdb-store.js";
import { readStoreView } from "./snapshot.js";
import { findingsOfIncident, findStoredIncident, incidentsWithHistory } from "./store.js";
import { tempDir } from "./testing/spawn.js";

const HOUR = 3_600_000;
const open = (dataDir: string, now: () => Date, over: Partial<OpenLowdbStoreParameters> = {}) =>
  openLowdbStore({ dataDir, chainId: 31337, purpose: "test", clock: now, archiveAfterMs: HOUR, ...over });

/** An incident taken through recovered to post-review at `closedAt`. */
function closed(key: string, occurrence: number, openedAt: Date, closedAt: Date): Incident {
  const opened = anIncident({ key, occurrence, now: openedAt, title: `${key} #${occurrence}` });
  return transition(transition(opened, "recovered", { now: closedAt }), "postreview", { now: closedAt });
}

const AUTO = { entryPoint: true, accountFactory: true, delegation: true } as const;

describe("the embedded store's history", () => {
  it("moves a post-review incident to history once it is left alone for archiveAfterMs, and finds it there", async () => {
    const dir = tempDir();
    let now = at(0);
    const store = await open(dir, () => now);
    const old = closed("k:a", 1, at(0), at(10));
    const open1 = anIncident({ key: "k:b", now: at(5) });
    await store.update((d) => {
      d.incidents[old.id] = old;
      d.incidents[open1.id] = open1;
    });
    // Not yet due: both hot.
    expect(Object.keys(store.read().incidents).sort()).toEqual([old.id, open1.id].sort());
    now = new Date(at(10).getTime() + HOUR);
    await store.update((d) => void (d.chain.processedCount += 1));
    expect(Object.keys(store.read().incidents)).toEqual([open1.id]);
    expect(store.history.count()).toBe(1);
    expect(store.history.lastOccurrence("k:a")).toBe(1);
    expect(await store.history.get(old.id)).toEqual(old);
    const hotFile = JSON.parse(readFileSync(path.join(dir, STORE_FILE), "utf8")) as { incidents: Record<string, unknown> };
    expect(Object.keys(hotFile.incidents)).toEqual([open1.id]);
    expect(readdirSync(path.join(dir, HISTORY_DIR))).toEqual([`incidents-${old.createdAt.slice(0, 7)}.jsonl`]);

    // Found by prefix among hot and archived; an ambiguous prefix names both.
    expect((await findStoredIncident(store.read().incidents, store.history, old.id.slice(0, 8))).archived).toBe(true);
    await expect(findStoredIncident(store.read().incidents, store.history, "ffffffff")).rejects.toBeInstanceOf(IncidentNotFoundError);
    expect((await incidentsWithHistory(store, 10)).map((i) => i.id)).toEqual([open1.id, old.id]);
    await store.close();

    // Reopened: the index is rebuilt from the files.
    const again = await open(dir, () => now);
    expect(await again.history.get(old.id)).toEqual(old);
    expect(again.history.lastOccurrence("k:a")).toBe(1);
    await again.close();
  });

  it("an old closed incident written and archived by the same update is kept, though store.json does not change", async () => {
    const dir = tempDir();
    const now = at(600);
    const store = await open(dir, () => now);
    const before = readFileSync(path.join(dir, STORE_FILE), "utf8");
    const old = closed("k:same-update", 1, at(0), at(1));
    await store.update((d) => void (d.incidents[old.id] = old));
    expect(readFileSync(path.join(dir, STORE_FILE), "utf8")).toBe(before);
    expect(await store.history.get(old.id)).toEqual(old);
    // And an invalid one is refused before it can reach history.
    await expect(store.update((d) => void (d.incidents[old.id] = { ...old, id: "not-a-uuid" }))).rejects.toThrow(/store schema/);
    expect(store.history.count()).toBe(1);
    await store.close();
  });

  it("a prefix matching one hot and one archived incident is refused as ambiguous", async () => {
    const dir = tempDir();
    let now = at(0);
    const store = await open(dir, () => now);
    // Ids are derived from key and occurrence: find two keys whose ids share their first 4 characters.
    const byPrefix = new Map<string, Incident>();
    let pair: [Incident, Incident] | undefined;
    for (let n = 0; pair === undefined; n++) {
      const incident = closed(`k:${n}`, 1, at(0), at(1));
      const other = byPrefix.get(incident.id.slice(0, 4));
      if (other) pair = [other, incident];
      byPrefix.set(incident.id.slice(0, 4), incident);
    }
    const [archived, hot] = pair;
    await store.update((d) => void (d.incidents[archived.id] = archived));
    now = at(200);
    await store.update((d) => void (d.incidents[hot.id] = { ...hot, updatedAt: now.toISOString() }));
    expect(store.history.has(archived.id)).toBe(true);
    expect(store.read().incidents[hot.id]).toBeDefined();
    await expect(findStoredIncident(store.read().incidents, store.history, hot.id.slice(0, 4))).rejects.toBeInstanceOf(AmbiguousIncidentIdError);
    expect((await findStoredIncident(store.read().incidents, store.history, archived.id.slice(0, 12))).incident).toEqual(archived);
    await store.close();
  });

  it("lists newest first in pages, and a recurrence long after is numbered on from history", async () => {
    const dir = tempDir();
    let now = at(0);
    const store = await open(dir, () => now);
    const list = Array.from({ length: 25 }, (_, i) => closed("k:same", i + 1, at(i * 10), at(i * 10 + 1)));
    await store.update((d) => void list.forEach((i) => (d.incidents[i.id] = i)));
    now = at(1000);
    await store.update((d) => void (d.chain.processedCount += 1));
    const first = await store.history.list({ limit: 10 });
    expect(first.incidents.map((i) => i.occurrence)).toEqual([25, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
    const second = await store.history.list({ limit: 10, before: first.next! });
    expect(second.incidents.map((i) => i.occurrence)).toEqual([15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);
    const third = await store.history.list({ limit: 10, before: second.next! });
    expect(third.incidents.map((i) => i.occurrence)).toEqual([5, 4, 3, 2, 1]);
    expect(third.next).toBeUndefined();

    // The same key again: occurrence 26, a new id; without history it would reuse occurrence 1's id.
    const actions = await store.update((d) => foldFindings(d, [aFinding({ key: "k:same", observedAt: now.toISOString() })], {
      now, autoPause: AUTO, lastOccurrence: (key) => store.history.lastOccurrence(key),
    }));
    const reopened = Object.values(store.read().incidents);
    expect(reopened).toHaveLength(1);
    expect(reopened[0]!.occurrence).toBe(26);
    expect(list.map((i) => i.id)).not.toContain(reopened[0]!.id);
    expect(actions[0]).toMatchObject({ type: "notify", reason: "opened" });
    await store.close();
  });

  it("restore brings an archived incident back for a write; left alone, it goes straight back without a write", async () => {
    const dir = tempDir();
    let now = at(0);
    const store = await open(dir, () => now);
    const old = closed("k:r", 1, at(0), at(1));
    await store.update((d) => void (d.incidents[old.id] = old));
    now = at(600);
    await store.update((d) => void (d.chain.processedCount += 1));
    const before = readFileSync(path.join(dir, STORE_FILE), "utf8");
    const seen = await store.update((d) => d.incidents[old.id]?.title, { restore: [old.id] });
    expect(seen).toBe(old.title);
    expect(readFileSync(path.join(dir, STORE_FILE), "utf8")).toBe(before);
    expect(store.read().incidents[old.id]).toBeUndefined();

    await store.update((d) => {
      const i = d.incidents[old.id]!;
      d.incidents[old.id] = { ...i, updatedAt: now.toISOString(), timeline: [...i.timeline, { ...i.timeline[0]!, id: "note", message: "post-mortem published" }] };
    }, { restore: [old.id] });
    expect(store.read().incidents[old.id]?.timeline.at(-1)?.message).toBe("post-mortem published");
    expect(store.history.has(old.id)).toBe(false);
    now = at(600 + 61);
    await store.update((d) => void (d.chain.processedCount += 1));
    expect(store.read().incidents[old.id]).toBeUndefined();
    expect((await store.history.get(old.id))?.timeline.at(-1)?.message).toBe("post-mortem published");
    await expect(store.update(() => {}, { restore: ["00000000-0000-4000-8000-000000000000"] })).rejects.toThrow(/no archived incident/);
    await store.close();
  });

  it("findings beyond the hot bound go to history, and a post-mortem still finds them", async () => {
    const dir = tempDir();
    const now = at(0);
    const store = await open(dir, () => now, { findingsLimit: 5 });
    const incident = anIncident({ key: "k:f", now });
    await store.update((d) => {
      d.incidents[incident.id] = incident;
      for (let n = 0; n < 12; n++) d.findings.push({ ...aFinding({ key: "k:f", observedAt: at(n).toISOString() }), incidentId: incident.id });
    });
    expect(store.read().findings).toHaveLength(5);
    const month = T0.toISOString().slice(0, 7);
    expect((await store.history.findings(month)).map((f) => f.observedAt)).toEqual(Array.from({ length: 7 }, (_, n) => at(n).toISOString()));
    expect(await findingsOfIncident(store, incident, now)).toHaveLength(12);
    await expect(store.history.findings("2025-3")).rejects.toThrow(/YYYY-MM/);
    await store.close();
  });

  it("a torn last line (a crash mid-append) is skipped and the next append starts a fresh line; a bad line elsewhere is refused untouched", async () => {
    const dir = tempDir();
    let now = at(0);
    const store = await open(dir, () => now);
    const a = closed("k:t", 1, at(0), at(1));
    await store.update((d) => void (d.incidents[a.id] = a));
    now = at(100);
    await store.update((d) => void (d.chain.processedCount += 1));
    await store.close();
    const file = path.join(dir, HISTORY_DIR, `incidents-${a.createdAt.slice(0, 7)}.jsonl`);
    appendFileSync(file, '{"id":"torn'); // what a crash mid-write leaves

    const warnings: string[] = [];
    const again = await open(dir, () => now, { logger: { warn: (_d, m) => warnings.push(m) } });
    expect(warnings.join()).toMatch(/incomplete last line/);
    expect(again.history.count()).toBe(1);
    const b = closed("k:t", 2, at(50), at(51));
    await again.update((d) => void (d.incidents[b.id] = b));
    now = at(200);
    await again.update((d) => void (d.chain.processedCount += 1));
    expect(await again.history.get(b.id)).toEqual(b);
    await again.close();
    const view = await readStoreView(dir, { chainId: 31337 });
    expect(view!.history.count()).toBe(2);

    // A damaged line in the middle: refused, nothing written.
    const lines = readFileSync(file, "utf8").split("\n");
    lines[0] = "not json";
    writeFileSync(file, lines.join("\n"));
    const before = readFileSync(file);
    await expect(open(dir, () => now)).rejects.toBeInstanceOf(StoreCorruptError);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it("migrates a version-1 store.json: closed incidents move to history, a backup of the file is kept", async () => {
    const dir = tempDir();
    const now = at(10_000);
    // A version-1 store as the previous Guardian wrote it: every incident in the one file.
    const seed = await open(dir, () => at(0), { archiveAfterMs: 1e15 });
    const olds = Array.from({ length: 3 }, (_, i) => closed(`k:m${i}`, 1, at(i), at(i + 1)));
    const live = anIncident({ key: "k:live", now: at(5) });
    await seed.update((d) => {
      for (const i of olds) d.incidents[i.id] = i;
      d.incidents[live.id] = live;
    });
    await seed.close();
    const file = path.join(dir, STORE_FILE);
    const v1 = { ...JSON.parse(readFileSync(file, "utf8")), schemaVersion: 1 };
    writeFileSync(file, JSON.stringify(v1));
    copyFileSync(file, path.join(dir, "expected-backup.json"));

    const store = await open(dir, () => now);
    expect(store.read().schemaVersion).toBe(2);
    expect(Object.keys(store.read().incidents)).toEqual([live.id]);
    expect(store.history.count()).toBe(3);
    for (const i of olds) expect(await store.history.get(i.id)).toEqual(i);
    expect(readFileSync(path.join(dir, "store.v1.json.bak"), "utf8")).toBe(readFileSync(path.join(dir, "expected-backup.json"), "utf8"));
    expect(existsSync(path.join(dir, HISTORY_DIR))).toBe(true);
    await store.close();
  });
});
