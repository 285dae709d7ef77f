import { describe, expect, it } from "vitest";
import { aFinding, anIncident, hash, T0 } from "../incidents/test-builders.js";
import { transition } from "../incidents/lifecycle.js";
import type { FindingRecord } from "../types.js";
import { cloneJson, cloneWithOrigins, diffStoreData, isEmptyChangeSet, sameJson } from "./changes.js";
import { emptyStoreData, type OutboxItem, type StoreData } from "./schema.js";

const finding = (n: number): FindingRecord => aFinding({ key: `k${n}`, observedAt: new Date(T0.getTime() + n * 1000).toISOString() });
const outboxItem = (id: string): OutboxItem => ({ id, kind: "notify", createdAt: T0.toISOString(), status: "pending", attempts: 0, payload: {} });

function base(): StoreData {
  const data = emptyStoreData(31337, T0, true);
  data.chain.ring = [1, 2, 3].map((n) => ({ number: n, hash: hash(n) }));
  data.chain.processedLog = [1, 2, 3].map((n) => ({ number: n, hash: hash(n) }));
  data.chain.processedCount = 3;
  data.findings = [finding(1), finding(2), finding(3)];
  const open = anIncident();
  data.incidents[open.id] = open;
  data.outbox = [outboxItem("a"), outboxItem("b")];
  data.detectorState = { current: { n: 1 } };
  return data;
}

/** The update path: clone, mutate, diff. */
function change(prev: StoreData, mutate: (draft: StoreData) => void) {
  const { draft, findingOrigin } = cloneWithOrigins(prev);
  mutate(draft);
  return diffStoreData(prev, draft, { findingOrigin });
}

describe("diffStoreData", () => {
  it("nothing changed: an empty change set", () => {
    const changes = change(base(), () => {});
    expect(isEmptyChangeSet(changes)).toBe(true);
  });

  it("a block commit: the checkpoint moves by one block, one finding appended, the detector state changed", () => {
    const prev = base();
    const changes = change(prev, (d) => {
      d.chain.ring.push({ number: 4, hash: hash(4) });
      d.chain.ring.shift();
      d.chain.processedCount += 1;
      d.chain.processedLog!.push({ number: 4, hash: hash(4) });
      d.findings.push(finding(4));
      d.findings.splice(0, 1); // bounded list: the oldest falls off the front
      d.detectorState = { current: { n: 2 } };
    });
    expect(changes.processedCount).toBe(4);
    expect(changes.ring).toEqual({ put: [{ number: 4, hash: hash(4) }], remove: [1] });
    expect(changes.detectorState).toEqual({ current: { n: 2 } });
    expect(changes.findings).toEqual({ append: [finding(4)], change: [], drop: [0] });
    expect(changes.processedLog).toEqual({ append: [{ number: 4, hash: hash(4) }] });
    expect(changes.incidents).toEqual({ upsert: [], archive: [] });
    expect(changes.outbox).toEqual({ upsert: [], remove: [] });
    expect(changes.kv).toEqual({ put: [], remove: [] });
    expect(isEmptyChangeSet(changes)).toBe(false);
  });

  it("findings edited in place are changes of their previous index, not new records", () => {
    const changes = change(base(), (d) => {
      d.findings[1]!.reorged = true;
      d.findings.push(finding(9));
    });
    expect(changes.findings.change).toEqual([{ index: 1, finding: { ...finding(2), reorged: true } }]);
    expect(changes.findings.append).toEqual([finding(9)]);
    expect(changes.findings.drop).toEqual([]);
  });

  it("a finding replaced by a new object is a drop and an append (history keeps both)", () => {
    const changes = change(base(), (d) => void (d.findings[0] = { ...d.findings[0]!, reorged: true }));
    expect(changes.findings).toEqual({ append: [{ ...finding(1), reorged: true }], change: [], drop: [0] });
  });

  it("without origins, findings are matched by object identity (shared objects)", () => {
    const prev = base();
    const next = { ...prev, findings: [...prev.findings.slice(1), finding(4)] };
    expect(diffStoreData(prev, next).findings).toEqual({ append: [finding(4)], change: [], drop: [0] });
  });

  it("incidents: new and changed ones upserted, those that left the hot map archived", () => {
    const prev = base();
    const [oldId] = Object.keys(prev.incidents);
    const other = anIncident({ key: "other:key" });
    const withOther = { ...prev, incidents: { ...prev.incidents, [other.id]: other } };
    const changes = change(withOther, (d) => {
      d.incidents[oldId!] = transition(d.incidents[oldId!]!, "responding", { now: T0 });
      delete d.incidents[other.id];
      const third = anIncident({ key: "third:key" });
      d.incidents[third.id] = third;
    });
    expect(changes.incidents.upsert.map((i) => i.key).sort()).toEqual(["pause-changed:entryPoint", "third:key"]);
    expect(changes.incidents.archive).toEqual([other.id]);
  });

  it("outbox: upserts and removals by id", () => {
    const changes = change(base(), (d) => {
      d.outbox[0]!.status = "done";
      d.outbox.splice(1, 1);
      d.outbox.push(outboxItem("c"));
    });
    expect(changes.outbox.upsert.map((o) => [o.id, o.status])).toEqual([["a", "done"], ["c", "pending"]]);
    expect(changes.outbox.remove).toEqual(["b"]);
  });

  it("other top-level keys are key/value records: set, changed, removed", () => {
    const prev = { ...base(), notify: { channels: { ops: T0.toISOString() } } };
    const changes = change(prev, (d) => {
      d.publish = { uptime: [] };
      delete d.notify;
      d.meta.createdAt = new Date(0).toISOString();
    });
    expect(changes.kv).toEqual({ put: [{ key: "meta", value: { createdAt: new Date(0).toISOString() } }, { key: "publish", value: { uptime: [] } }], remove: ["notify"] });
  });

  it("a reorg: ring blocks replaced, the processed log loses its tail and grows again", () => {
    const changes = change(base(), (d) => {
      d.chain.ring = [{ number: 1, hash: hash(1) }, { number: 2, hash: hash(22) }, { number: 3, hash: hash(33) }];
      d.chain.processedLog = d.chain.processedLog!.filter((b) => b.number < 2);
      d.chain.processedLog.push({ number: 2, hash: hash(22) }, { number: 3, hash: hash(33) });
    });
    expect(changes.ring).toEqual({ put: [{ number: 2, hash: hash(22) }, { number: 3, hash: hash(33) }], remove: [] });
    expect(changes.processedLog).toEqual({ dropFrom: 1, append: [{ number: 2, hash: hash(22) }, { number: 3, hash: hash(33) }] });
  });

  it("the processed log switched on and off", () => {
    const off = { ...base(), chain: { ...base().chain, processedLog: undefined } };
    delete off.chain.processedLog;
    expect(change(off, (d) => void (d.chain.processedLog = [{ number: 9, hash: hash(9) }])).processedLog).toEqual({ enabled: true, append: [{ number: 9, hash: hash(9) }] });
    expect(change(base(), (d) => void delete d.chain.processedLog).processedLog).toEqual({ enabled: false, dropFrom: 0, append: [] });
  });
});

describe("cloneJson and sameJson", () => {
  it("cloneJson copies JSON-shaped data deeply, as structuredClone does", () => {
    const data = base();
    const copy = cloneJson(data);
    expect(copy).toEqual(structuredClone(data));
    copy.findings[0]!.reorged = true;
    copy.chain.ring.push({ number: 9, hash: hash(9) });
    expect(data.findings[0]!.reorged).toBeUndefined();
    expect(data.chain.ring).toHaveLength(3);
  });

  it("sameJson: equal data whatever the key order; any difference of value, length or key is seen", () => {
    expect(sameJson({ a: 1, b: [1, { c: "x" }] }, { b: [1, { c: "x" }], a: 1 })).toBe(true);
    expect(sameJson({ a: 1, u: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameJson({ a: 1 }, { b: 1 })).toBe(false);
    expect(sameJson({ a: [1, 2] }, { a: [1, 2, 3] })).toBe(false);
    expect(sameJson({ a: [1] }, { a: { 0: 1 } })).toBe(false);
    expect(sameJson({ a: null }, { a: {} })).toBe(false);
    expect(sameJson("1", 1)).toBe(false);
  });
});
