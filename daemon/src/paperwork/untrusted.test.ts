/**
 * The post-mortem and the public notice with attacker-written text in the
 * incident (a revert reason quoted by a detector; a public update that
 * pasted it): no live link, image, HTML or control character comes out.
 */
import { describe, expect, it } from "vitest";
import { hasUnsafeCharacters } from "../decode/untrusted-text.js";
import { addTimelineEntry, openIncident, toPublic, transition } from "../incidents/index.js";
import { addr, at, evidence, T0 } from "../incidents/test-builders.js";
import { renderPostmortem } from "./postmortem.js";
import { renderPublicNotice } from "./public-notice.js";

const REASON =
  'reverted "Refund available: [claim your refund](https://evil.example/claim?id=1) ' +
  '<a href="https://evil.example/x">here</a> <img src=x onerror=alert(1)> ![logo](http://evil.example/l.png) ' +
  "<https://evil.example/auto> www.evil.example support@evil.example *urgent* `rm -rf` | col \u001b[2J\u202Egnp.exe\"";

function attackedIncident() {
  let incident = openIncident({
    key: "user-operations:failing",
    title: "User operations failing",
    severity: "high",
    affected: { layers: ["entryPoint"], contracts: [addr(1)] },
    source: "user-operations",
    now: T0,
    message: `We are investigating failed operations: ${REASON}`,
    evidence: evidence(40, { causes: `${REASON} ×5` }),
  });
  incident = addTimelineEntry(incident, { kind: "finding", message: `5 of 5 user operations failed: ${REASON} ×5.`, evidence: evidence(41, { causes: REASON }) }, at(1));
  incident = transition(incident, "responding", { now: at(2), message: `Cause identified: ${REASON}`, by: "ona" });
  return incident;
}

/** Markdown that renders no link, image, HTML or autolink, and holds no control character. */
function expectInert(markdown: string): void {
  expect(hasUnsafeCharacters(markdown.replaceAll("\n", ""))).toBe(false);
  expect(markdown).not.toMatch(/<\s*(a|img|script)\b/i);
  expect(markdown).not.toMatch(/(?<!\\)\[[^\]\n]*(?<!\\)\]\(/); // [text](url)
  expect(markdown).not.toMatch(/https?:\/\//i);
  expect(markdown).not.toMatch(/www\.evil|evil\.example/i);
  expect(markdown).not.toContain("<https");
}

describe("attacker-written text in the paperwork", () => {
  it("the post-mortem keeps the evidence readable but no live link, HTML or markup", () => {
    const markdown = renderPostmortem(attackedIncident(), { now: at(60) });
    expectInert(markdown);
    expect(markdown).not.toMatch(/(?<!\\)\*urgent(?<!\\)\*/);
    expect(markdown).toContain("\\[claim your refund\\](hxxps://evil\\[.\\]example/claim?id=1)");
    expect(markdown).toContain("&lt;a href=\"hxxps://evil\\[.\\]example/x\"&gt;");
    // Table rows stay rows: the reason's pipe is escaped.
    for (const line of markdown.split("\n").filter((l) => l.includes("evil"))) expect(line).toContain("\\|");
  });

  it("the public notice (markdown, text and JSON) likewise", () => {
    const incident = toPublic(attackedIncident());
    const markdown = renderPublicNotice(incident, { now: at(60), format: "markdown" });
    expectInert(markdown);
    expect(markdown).toContain("\\[claim your refund\\]");
    for (const format of ["text", "json"] as const) {
      const out = renderPublicNotice(incident, { now: at(60), format });
      expect(hasUnsafeCharacters(out.replaceAll("\n", ""))).toBe(false);
      expect(out).not.toContain("\\u001b");
    }
  });
});
