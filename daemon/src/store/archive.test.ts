import { describe, expect, it } from "vitest";
import { aFinding, anIncident, at } from "../incidents/test-builders.js";
import { transition } from "../incidents/lifecycle.js";
import type { Incident } from "../types.js";
import { takeArchivableIncidents, takeOverflowFindings } from "./archive.js";
import { emptyStoreData } from "./schema.js";

const HOUR = 3_600_000;
const closedAt = (key: string, minute: number): Incident =>
  transition(transition(anIncident({ key, now: at(0) }), "recovered", { now: at(minute) }), "postreview", { now: at(minute) });

describe("what leaves the hot state", () => {
  it("post-review incidents untouched for afterMs; open, recovered and recent ones stay", () => {
    const data = emptyStoreData(1, at(0), false);
    const old = closedAt("k:old", 1);
    const recent = closedAt("k:recent", 100);
    const recovered = transition(anIncident({ key: "k:rec", now: at(0) }), "recovered", { now: at(1) });
    const open = anIncident({ key: "k:open", now: at(0) });
    for (const i of [old, recent, recovered, open]) data.incidents[i.id] = i;
    const taken = takeArchivableIncidents(data, new Date(at(1).getTime() + HOUR), HOUR);
    expect(taken.map((i) => i.key)).toEqual(["k:old"]);
    expect(Object.values(data.incidents).map((i) => i.key).sort()).toEqual(["k:open", "k:rec", "k:recent"]);
  });

  it("a burst of closures: only the newest maxClosedHot stay, the rest go at once, oldest first", () => {
    const data = emptyStoreData(1, at(0), false);
    for (let m = 0; m < 10; m++) {
      const i = closedAt(`k:${m}`, m);
      data.incidents[i.id] = i;
    }
    const taken = takeArchivableIncidents(data, at(10), HOUR, 3);
    expect(taken.map((i) => i.key)).toEqual(["k:0", "k:1", "k:2", "k:3", "k:4", "k:5", "k:6"]);
    expect(Object.values(data.incidents).map((i) => i.key).sort()).toEqual(["k:7", "k:8", "k:9"]);
  });

  it("findings beyond the bound, oldest first", () => {
    const data = emptyStoreData(1, at(0), false);
    for (let m = 0; m < 5; m++) data.findings.push({ ...aFinding({ observedAt: at(m).toISOString() }) });
    expect(takeOverflowFindings(data, 2).map((f) => f.observedAt)).toEqual([at(0), at(1), at(2)].map((d) => d.toISOString()));
    expect(data.findings).toHaveLength(2);
    expect(takeOverflowFindings(data, 2)).toEqual([]);
  });
});
