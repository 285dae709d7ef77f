import { describe, expect, test } from "vitest";
import { errorData } from "../../../test/daemon/helpers/kit-facts.js";
import { builtinErrorsAbi, entryPointErrorsAbi } from "./kit-abis.js";
import { decodeRevert, describeRevert } from "./revert.js";
import { capText, defangUrls, ELLIPSIS, hasUnsafeCharacters, markdownText, terminalSafe, unsafeCharacter, untrustedLines, untrustedText, UNTRUSTED_TEXT_MAX } from "./untrusted-text.js";

const ESC = "\u001b";
const BEL = "\u0007";
/** What an attacker puts in a revert reason: window title, clear screen, a fake green line, an OSC 52 clipboard write, RLO. */
const ATTACK = `x${ESC}]0;pwned${BEL}${ESC}[2J${ESC}[H\r\n${ESC}[32mAll clear: incident resolved${ESC}[0m${ESC}]52;c;cm0gLXJmIH4=${BEL}\u202Egnp.exe`;

describe("untrustedText", () => {
  test("removes C0/C1 controls, DEL, bidi, zero-width and tag characters; line breaks and tabs become spaces", () => {
    const out = untrustedText(ATTACK);
    expect(out).toBe("x]0;pwned[2J[H  [32mAll clear: incident resolved[0m]52;c;cm0gLXJmIH4=gnp.exe");
    expect(hasUnsafeCharacters(out)).toBe(false);
    for (const cp of [0x00, 0x08, 0x1b, 0x7f, 0x80, 0x9b, 0x9d, 0x061c, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202e, 0x2060, 0x2066, 0x2069, 0xfeff, 0xe0041])
      expect(untrustedText(`a${String.fromCodePoint(cp)}b`), `U+${cp.toString(16)}`).toBe("ab");
    expect(untrustedText("a\tb\nc\r\nd\u2028e")).toBe("a b c  d e");
  });

  test("keeps ordinary Unicode (accents, CJK, emoji) and is idempotent", () => {
    const text = "Échec: 账户 ✓ 🚀 \"quoted\" \\ back";
    expect(untrustedText(text)).toBe(text);
    expect(untrustedText(untrustedText(ATTACK))).toBe(untrustedText(ATTACK));
  });

  test(`caps at ${UNTRUSTED_TEXT_MAX} characters with an ellipsis, never splitting a surrogate pair`, () => {
    const long = "A".repeat(1900);
    const out = untrustedText(long);
    expect(out).toHaveLength(UNTRUSTED_TEXT_MAX);
    expect(out.endsWith("…")).toBe(true);
    expect(untrustedText(out)).toBe(out);
    expect(untrustedText("A".repeat(UNTRUSTED_TEXT_MAX))).toBe("A".repeat(UNTRUSTED_TEXT_MAX));
    const emoji = capText(`${"a".repeat(8)}🚀🚀`, 10); // "🚀" is two UTF-16 units: cutting at 9 would split it
    expect(emoji).toBe(`${"a".repeat(8)}…`);
    expect(capText("ab🚀cd", 5)).toBe("ab🚀…");
  });
});

describe("terminalSafe", () => {
  test("shows every control except the printer's own line breaks and tabs as a \\u escape", () => {
    expect(terminalSafe("a\tb\n")).toBe("a\tb\n");
    expect(terminalSafe(`a${ESC}[2Jb\r\nc\u202Ed\n`)).toBe("a\\u001b[2Jb\\u000d\nc\\u202ed\n");
    expect(terminalSafe("plain text\n")).toBe("plain text\n");
  });

  test("JSON output stays valid JSON with the same value", () => {
    const value = { reason: `a\u0085b\u202Ec\u{E0041}d`, ok: "é" };
    const printed = terminalSafe(JSON.stringify(value));
    expect(hasUnsafeCharacters(printed)).toBe(false);
    expect(JSON.parse(printed)).toEqual(value);
  });
});

describe("markdownText and defangUrls", () => {
  test("a markdown link, an autolink, HTML and an image come out inert", () => {
    const out = markdownText(`[Claim refund](https://evil.example/r?a=1) <a href="https://evil.example">x</a> ![i](http://t.example/p.png) www.evil.example <https://x.example>`);
    expect(out).not.toMatch(/https?:/);
    expect(out).not.toMatch(/(?<!\\)[[\]]/); // every bracket escaped: no "(url)" can become a link
    expect(out).not.toContain("<");
    expect(out).not.toContain(">");
    expect(out).not.toMatch(/evil\.example|www\.evil/);
    expect(out).toContain("hxxps://evil\\[.\\]example/r?a=1");
  });

  test("escapes emphasis, code, headings and tables; keeps plain prose and numbers", () => {
    expect(markdownText("*bold* _it_ `code` # h | t ~s~")).toBe("\\*bold\\* \\_it\\_ \\`code\\` \\# h \\| t \\~s\\~");
    expect(markdownText("62.5% of 8 ops failed (e.g. AA13)")).toBe("62.5% of 8 ops failed (e.g. AA13)");
    expect(markdownText("- item")).toBe("\\- item");
    expect(markdownText("12. item")).toBe("12\\. item");
  });

  test("defangs schemes and host names only", () => {
    expect(defangUrls("see https://evil.example/x and HTTP://A.EXAMPLE")).toBe("see hxxps://evil[.]example/x and HxxP://A[.]EXAMPLE");
    expect(defangUrls("mailto:a@b.example javascript:alert(1)")).toBe("mailto[:]a@b[.]example javascript[:]alert(1)");
    expect(defangUrls("TimestampEnforcer:expired-delegation; AA13 reverted: 1.5 ETH")).toBe("TimestampEnforcer:expired-delegation; AA13 reverted: 1.5 ETH");
  });
});

describe("unsafeCharacter", () => {
  test("names the first character a public text must not hold, and where", () => {
    expect(unsafeCharacter("Paymaster drained")).toBeUndefined();
    expect(unsafeCharacter(`ok ${ESC}[2J`)).toEqual({ codePoint: "U+001B", index: 3, name: "an escape (terminal control)" });
    expect(unsafeCharacter("🚀\u202Eevil")).toEqual({ codePoint: "U+202E", index: 1, name: "a bidirectional control" });
    expect(unsafeCharacter("a\u200Bb")?.name).toBe("an invisible (zero-width) character");
    expect(unsafeCharacter("a\nb")?.name).toBe("a line break");
  });

  test("with lines, allows line feeds and carriage returns, nothing else", () => {
    expect(unsafeCharacter("Paused.\r\nNo funds moved.\n", { lines: true })).toBeUndefined();
    expect(unsafeCharacter("Paused.\nok\u2028", { lines: true })?.codePoint).toBe("U+2028");
    expect(unsafeCharacter(`a\n${ESC}[2J`, { lines: true })).toEqual({ codePoint: "U+001B", index: 2, name: "an escape (terminal control)" });
    expect(unsafeCharacter("a\tb", { lines: true })?.name).toBe("a tab or form feed");
  });
});

describe("untrustedLines", () => {
  test("keeps prose on its lines: every kind of break becomes \\n, at most one blank line, no control anywhere", () => {
    expect(untrustedLines("Paused.\r\n\r\n\r\n\r\nNo funds\u2029moved\u202e.\t ")).toBe("Paused.\n\nNo funds\nmoved.");
    expect(untrustedLines(`line ${ESC}]0;pwned\u0007\n  next\u200b `)).toBe("line ]0;pwned\nnext");
    const once = untrustedLines("a\r\rb\u0085c");
    expect(untrustedLines(once)).toBe(once);
    expect(hasUnsafeCharacters(untrustedLines(`x${ESC}\ny`).replace(/\n/g, ""))).toBe(false);
  });

  test("caps like untrustedText", () => {
    const out = untrustedLines(`${"a\n".repeat(400)}`);
    expect(out).toHaveLength(UNTRUSTED_TEXT_MAX);
    expect(out.endsWith(ELLIPSIS)).toBe(true);
  });
});

describe("at decode", () => {
  test("an Error(string) revert reason comes out cleaned and capped", () => {
    const r = decodeRevert(errorData(builtinErrorsAbi, "Error", [`${ATTACK}${"B".repeat(1900)}`]));
    expect(r.kind).toBe("error");
    const message = (r as { message: string }).message;
    expect(message).toHaveLength(UNTRUSTED_TEXT_MAX);
    expect(hasUnsafeCharacters(message)).toBe(false);
    expect(message.startsWith("x]0;pwned[2J")).toBe(true);
    expect(hasUnsafeCharacters(describeRevert(r))).toBe(false);
  });

  test("an EntryPoint FailedOp reason and FailedOpWithRevert's inner Error(string) too; the AA code still reads", () => {
    const inner = errorData(builtinErrorsAbi, "Error", [`\u202E${"C".repeat(3000)}`]);
    const r = decodeRevert(errorData(entryPointErrorsAbi, "FailedOpWithRevert", [0n, `AA33 reverted${ESC}[2J\n${"D".repeat(500)}`, inner]));
    expect(r).toMatchObject({ kind: "failed-op", code: "AA33", inner: { kind: "error" } });
    const json = JSON.stringify(r);
    expect(hasUnsafeCharacters(json)).toBe(false);
    expect(json).not.toContain("\\u");
    expect((r as { reason: string }).reason).toMatch(/^AA33 reverted\[2J D+…$/);
    expect((r as { reason: string }).reason).toHaveLength(UNTRUSTED_TEXT_MAX);
  });
});
