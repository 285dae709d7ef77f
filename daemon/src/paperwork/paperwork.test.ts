import { describe, expect, it } from "vitest";
import { acknowledge, addTimelineEntry, openIncident, timelineEntryId, toPublic, transition } from "../incidents/index.js";
import { addr, at, evidence, hash, T0 } from "../incidents/test-builders.js";
import type { Incident } from "../types.js";
import { countAffectedAccounts, pauseTimelineEntry } from "./evidence.js";
import { renderPostmortem } from "./postmortem.js";
import { buildPublicNotice, nextUpdateAt, publicNoticeSchema, renderPublicNotice } from "./public-notice.js";

const VICTIM_1 = addr(0xa1);
const VICTIM_2 = addr(0xa2);
const PAUSER = addr(0xbeef);

/** A Critical outflow: two findings, the sentinel pause two blocks later, contained, acknowledged, resolved, reviewed. */
function criticalIncident(): Incident {
  let incident = openIncident({
    key: "outflow:paymaster",
    title: "Abnormal paymaster outflow",
    severity: "critical",
    affected: { layers: ["entryPoint", "delegation"], contracts: [addr(1)] },
    source: "abnormal-outflow",
    now: T0,
    message: "We are investigating failed sponsored transactions.",
    evidence: evidence(120, { sender: VICTIM_1, amount: "5000000000000000000" }),
  });
  incident = addTimelineEntry(incident, { kind: "finding", message: "Outflow continues", evidence: evidence(121, { sender: VICTIM_2, amount: "1" }) }, at(0.1));
  incident = addTimelineEntry(incident, { kind: "finding", message: "Outflow again", evidence: evidence(119, { sender: VICTIM_1.toUpperCase().replace("0X", "0x") }) }, at(0.2));
  incident = addTimelineEntry(incident, { kind: "finding", message: "Paused by someone", evidence: evidence(118, { account: PAUSER, by: PAUSER }) }, at(0.3));
  incident = addTimelineEntry(
    incident,
    pauseTimelineEntry({
      incidentId: incident.id,
      txHash: hash(0x1122),
      blockNumber: 122,
      blockHash: hash(122),
      blockTimestamp: 1_740_830_404,
      layers: ["entryPoint"],
      symptom: { blockNumber: 120, timestamp: 1_740_830_400 },
    }),
    at(1),
  );
  incident = transition(incident, "contained", { now: at(1), message: "Paymaster sponsorship paused as a precaution." });
  incident = addTimelineEntry(incident, { kind: "note", message: "INTERNAL: suspect the deployer key leaked" }, at(2));
  incident = acknowledge(incident, { now: at(3), by: "alice" });
  incident = transition(incident, "recovered", { now: at(90), message: "Sponsorship restored; all transactions are processed normally." });
  return transition(incident, "postreview", { now: at(120), by: "alice" });
}

describe("renderPostmortem", () => {
  const md = renderPostmortem(criticalIncident(), { now: at(200), chainId: 138 });
  const section = (title: string) => md.slice(md.indexOf(`## ${title}`), md.indexOf("\n## ", md.indexOf(`## ${title}`) + 3));

  it("has every section, in order", () => {
    const headings = md.split("\n").filter((l) => l.startsWith("#"));
    expect(headings).toEqual([
      "# Post-incident review: Abnormal paymaster outflow",
      "## Summary",
      "## Timeline (UTC)",
      "## Root cause",
      "## Impact",
      "## Circuit-breaker effectiveness",
      "## Response",
      "## Action items",
      "## Lessons learned",
    ]);
    expect(md).toContain("(chain 138)");
  });

  it("summarises the record: severity and SLA, who opened and acknowledged it, when it was contained and resolved", () => {
    const s = section("Summary");
    expect(s).toContain("| Severity | critical (response SLA 15 min) |");
    expect(s).toContain("| Opened | 2025-03-01 12:00:00 UTC by detector `abnormal-outflow` |");
    expect(s).toContain("| Acknowledged | 2025-03-01 12:03:00 UTC by alice |");
    expect(s).toContain("| Contained | 2025-03-01 12:01:00 UTC |");
    expect(s).toContain("| Resolved | 2025-03-01 13:30:00 UTC |");
    expect(s).toContain("| Duration | 1 h 30 min (opened → resolved) |");
    expect(s).toContain("**What happened:** unknown (fill in)");
  });

  it("lists the whole timeline in UTC with its evidence (block, tx hash, values)", () => {
    const t = section("Timeline (UTC)");
    expect(t).toContain(
      `| 2025-03-01 12:00:06 UTC | finding | detected | internal | Outflow continues | block 121 (${hash(121)}), tx ${hash(1121)}, log 0; sender=${VICTIM_2}, amount=1 |`,
    );
    expect(t).toContain("| note | contained | internal | INTERNAL: suspect the deployer key leaked | - |");
    expect(t).toContain("| 2025-03-01 14:00:00 UTC | state | postreview | internal | Post-incident review started. (alice) | - |");
    expect(t.split("\n").filter((l) => l.startsWith("| 2025")).length).toBe(criticalIncident().timeline.length);
  });

  it("offers a five-whys skeleton from the symptom's first evidence", () => {
    const r = section("Root cause");
    expect(r).toContain(`**Symptom:** Abnormal paymaster outflow; first evidence block 118 (${hash(118)})`);
    expect(r).toContain("1. Why did it happen (Abnormal paymaster outflow)? unknown (fill in)");
    expect(r).toContain("5. Why? unknown (fill in)");
    expect(r).toContain("**Root cause:** unknown (fill in)");
  });

  it("counts affected accounts from the evidence (distinct senders, not actors) and says how", () => {
    const i = section("Impact");
    expect(i).toContain("- **Systems impacted:** EntryPoint, Delegation");
    expect(i).toContain("- **Affected accounts:** 2; counted as distinct addresses under sender in 5 pieces of evidence");
    expect(i).toContain("- **Duration:** 1 h 30 min from opening to resolution; contained after 1 min.");
    expect(i).toContain("- **Funds at risk or lost:** unknown (fill in)");
    expect(countAffectedAccounts(criticalIncident()).accounts).toEqual([VICTIM_1, VICTIM_2]);
    // Aggregating detectors list the accounts of a window: counted with the others, once each.
    const listed = addTimelineEntry(criticalIncident(), { kind: "finding", message: "window", evidence: evidence(130, { failures: 3, senders: `${VICTIM_2},${addr(0xa3)}` }) }, at(150));
    expect(countAffectedAccounts(listed)).toMatchObject({ count: 3, keys: ["sender", "senders"] });
  });

  it("measures the circuit breaker: time to pause in blocks and seconds from the symptom's block, what was stopped", () => {
    const c = section("Circuit-breaker effectiveness");
    expect(c).toContain(`- **Pause transaction:** \`${hash(0x1122)}\`, mined in block 122 (${hash(122)}), recorded 2025-03-01 12:01:00 UTC.`);
    expect(c).toContain("- **Time to pause:** 2 blocks and 4 s from block 120 (the symptom's block recorded with the pause).");
    expect(c).toContain("- **Daemon clock:** 1 min from opening the incident to recording the pause.");
    expect(c).toContain("- **What was stopped:** EntryPoint: sponsorship by the operator's paymaster (user operations that rely on it are refused).");
    expect(c).toContain("- **Affected but not paused:** Delegation (auto-pause off, or already paused: unknown (fill in)).");
  });

  it("times the response against the SLA and leaves action items to fill in", () => {
    expect(section("Response")).toContain("| Time to acknowledge | 3 min (within the 15 min SLA) |");
    expect(section("Action items")).toContain("| 1 | unknown (fill in) | unknown (fill in) | unknown (fill in) | open |");
  });
});

describe("renderPostmortem where data is missing", () => {
  const manual = openIncident({
    key: "manual:x",
    id: "00000000-0000-4000-8000-000000000001",
    title: "Users report failing account creation",
    severity: "high",
    affected: { layers: [], contracts: [] },
    source: "manual",
    now: T0,
    by: "bob",
  });

  it('writes "unknown (fill in)" instead of guessing', () => {
    const md = renderPostmortem(manual, { now: at(30) });
    expect(md).toContain("| Opened | 2025-03-01 12:00:00 UTC by a person (bob) |");
    expect(md).toContain("| Acknowledged | not acknowledged |");
    expect(md).toContain("| Duration | ongoing at 2025-03-01 12:30:00 UTC |");
    expect(md).toContain("- **Systems impacted:** unknown (fill in) (no layer recorded on the incident)");
    expect(md).toContain("- **Contracts:** unknown (fill in) (none recorded)");
    expect(md).toContain(
      "- **Affected accounts:** unknown (fill in); counted as no evidence names an affected account (keys looked for: sender, smartAccount, affectedAccount, delegator, rootDelegator, redeemer, senders, affectedAccounts, delegators) in 0 pieces of evidence",
    );
    expect(md).toContain("**Symptom:** Users report failing account creation; no on-chain evidence recorded.");
    expect(md).toContain("Not engaged: the circuit breaker pauses automatically only for Critical incidents, and this one is high.");
  });

  it("a Critical incident without a recorded pause, and a pause without timestamps", () => {
    const critical = { ...manual, severity: "critical" as const };
    expect(renderPostmortem(critical, { now: at(30) })).toContain(
      "No sentinel pause is recorded on this incident's timeline. Whether the circuit breaker engaged, and if not why (auto-pause off for the layer, layer already paused, pause refused): unknown (fill in).",
    );
    let paused = addTimelineEntry(critical, { kind: "finding", message: "seen", evidence: evidence(50) }, at(1));
    paused = addTimelineEntry(paused, pauseTimelineEntry({ incidentId: paused.id, txHash: hash(7), blockNumber: 53, blockHash: hash(53), layers: [] }), at(2));
    const md = renderPostmortem(paused, { now: at(30) });
    expect(md).toContain(
      "- **Time to pause:** 3 blocks and unknown (fill in) seconds (the timeline holds no block timestamps) from block 50 (the earliest evidence block on the timeline).",
    );
    expect(md).toContain("- **What was stopped:** unknown (fill in) (the pause entry names no layer).");
  });
});

describe("renderPostmortem reads the daemon circuit breaker's own entries", () => {
  const base = () =>
    openIncident({
      key: "k",
      title: "Unauthorized ownership change",
      severity: "critical",
      affected: { layers: ["delegation"], contracts: [addr(3)] },
      source: "security",
      now: T0,
      evidence: evidence(500),
    });

  it("its mined pause (runtime/circuit-breaker.ts: id circuit-breaker/paused, -1 for unknown)", () => {
    let incident = base();
    incident = addTimelineEntry(
      incident,
      {
        id: timelineEntryId(incident.id, "circuit-breaker", "paused"),
        kind: "action",
        message: `Circuit breaker: sentinel paused delegation in tx ${hash(9)} (block 501, 1 block(s) and 2 s after the symptom's block 500; 1 attempt(s)); confirmed on chain.`,
        evidence: { blockNumber: 501, blockHash: hash(501), txHash: hash(9), values: { layers: "delegation", symptomBlock: 500, blocksToPause: 1, firstSignedAt: at(0.1).toISOString() } },
      },
      at(0.2),
    );
    const md = renderPostmortem(incident, { now: at(5) });
    expect(md).toContain("- **Time to pause:** 1 block and unknown (fill in) seconds (the timeline holds no block timestamps) from block 500 (the symptom's block recorded with the pause).");
    expect(md).toContain("- **What was stopped:** Delegation: redemption of delegations through the DelegationManager.");
    const unknownSymptom = addTimelineEntry(
      base(),
      {
        id: timelineEntryId(incident.id, "circuit-breaker", "paused"),
        kind: "action",
        message: "paused",
        evidence: { blockNumber: 503, blockHash: hash(503), txHash: hash(9), values: { layers: "delegation", symptomBlock: -1, blocksToPause: -1 } },
      },
      at(0.2),
    );
    expect(renderPostmortem(unknownSymptom, { now: at(5) })).toContain("- **Time to pause:** 3 blocks and unknown (fill in) seconds");
  });

  it("a pause that was not sent: what Guardian recorded instead", () => {
    const incident = addTimelineEntry(
      base(),
      { id: timelineEntryId(base().id, "circuit-breaker", "already"), kind: "action", message: "Auto-pause: delegation already paused; nothing sent." },
      at(0.2),
    );
    const md = renderPostmortem(incident, { now: at(5) });
    expect(md).toContain("No mined sentinel pause is recorded on this incident's timeline; what Guardian recorded instead is below.");
    expect(md).toContain("- 2025-03-01 12:00:12 UTC: Auto-pause: delegation already paused; nothing sent.");
  });
});

describe("renderPublicNotice", () => {
  const INTERNAL = ["Abnormal paymaster outflow", "INTERNAL", "deployer key", "alice", "Outflow continues", "Post-incident review", VICTIM_1.slice(2), hash(120).slice(2), "outflow:paymaster", "abnormal-outflow", "oncall"];

  it("shows only public fields and public entries, in every format", () => {
    const pub = toPublic(criticalIncident());
    for (const format of ["text", "markdown", "json"] as const) {
      const text = renderPublicNotice(pub, { now: at(200), format });
      for (const secret of INTERNAL) expect(text, `${format} leaks ${secret}`).not.toContain(secret);
    }
    const notice = JSON.parse(renderPublicNotice(pub, { now: at(200), format: "json" }));
    expect(publicNoticeSchema.parse(notice)).toEqual(notice);
    expect(notice).toMatchObject({
      incidentId: pub.id,
      status: "resolved",
      statusLabel: "Resolved",
      severity: "critical",
      affected: { components: ["EntryPoint", "Delegation"], contracts: [addr(1)] },
      // A security incident: its opening is the template's, not the detector's or the first responder's words.
      summary:
        "We are investigating a security issue affecting gas sponsorship and delegation redemption. Affected services may be paused to protect users; we will post updates here. Latest update: Sponsorship restored; all transactions are processed normally.",
      impact: "Resolved at 2025-03-01 13:30 UTC; no ongoing impact.",
      nextUpdateAt: null,
      nextUpdate: "none: this incident is resolved",
    });
    expect(notice.actionsTaken.map((a: { at: string; statusLabel: string }) => `${a.at} ${a.statusLabel}`)).toEqual([
      `${T0.toISOString()} Investigating`,
      `${at(1).toISOString()} Monitoring`,
      `${at(90).toISOString()} Resolved`,
    ]);
  });

  it("renders an open incident as markdown and text with its next update time", () => {
    let incident = openIncident({
      key: "delegation:failing",
      title: "Delegation redemptions failing (TimestampEnforcer:expired-delegation)",
      severity: "high",
      affected: { layers: ["delegation"], contracts: [addr(2)] },
      source: "delegation-failures",
      now: T0,
    });
    incident = transition(incident, "responding", { now: at(20), message: "We found the cause: an expired enforcer." });
    expect(renderPublicNotice(toPublic(incident), { now: at(25), format: "markdown" })).toMatchInlineSnapshot(`
      "# [Identified] Some delegation redemptions are failing

      **Status:** Identified · **Severity:** High · **Incident:** \`f2338913-4eb6-8ce7-b9cf-53c96254c0b5\`

      **Affected components:** Delegation  
      **Affected contracts:** \`0x0000000000000000000000000000000000000002\`

      ## Summary

      Some delegation redemptions are failing. We are investigating. Latest update: We found the cause: an expired enforcer.

      ## Impact

      Delegation: partial outage (High severity, major impact).

      ## Actions taken (UTC)

      - 2025-03-01 12:00 UTC · **Investigating** · Some delegation redemptions are failing. We are investigating.
      - 2025-03-01 12:20 UTC · **Identified** · We found the cause: an expired enforcer.

      ## Next update

      We will post the next update by 2025-03-01 14:20 UTC (every 2 hours while High).
      "
    `);
    expect(renderPublicNotice(toPublic(incident), { now: at(25), format: "text" })).toMatchInlineSnapshot(`
      "[Identified] Some delegation redemptions are failing

      Status:     Identified
      Severity:   High
      Incident:   f2338913-4eb6-8ce7-b9cf-53c96254c0b5
      Components: Delegation
      Contracts:  0x0000000000000000000000000000000000000002

      Summary
        Some delegation redemptions are failing. We are investigating. Latest update: We found the cause: an expired enforcer.

      Impact
        Delegation: partial outage (High severity, major impact).

      Actions taken (UTC)
        2025-03-01 12:00 UTC  Investigating Some delegation redemptions are failing. We are investigating.
        2025-03-01 12:20 UTC  Identified    We found the cause: an expired enforcer.

      Next update: by 2025-03-01 14:20 UTC (every 2 hours while High)
      "
    `);
  });

  it("schedules the next update by severity: 30 min, 2 h, 24 h, 72 h after the latest, or from now when overdue", () => {
    const pub = (severity: Incident["severity"]) => toPublic(openIncident({ key: "k", title: "t", severity, affected: { layers: [], contracts: [] }, source: "d", now: T0 }));
    expect(nextUpdateAt(pub("critical"), at(1))).toEqual(at(30));
    expect(nextUpdateAt(pub("high"), at(1))).toEqual(at(120));
    expect(nextUpdateAt(pub("medium"), at(1))).toEqual(at(24 * 60));
    expect(nextUpdateAt(pub("low"), at(1))).toEqual(at(72 * 60));
    expect(nextUpdateAt(pub("critical"), at(45.5))).toEqual(at(76)); // overdue: now + 30 min, rounded up to the minute
    expect(buildPublicNotice(pub("medium"), at(1)).impact).toBe("Medium severity; the affected components are still being determined.");
  });
});
