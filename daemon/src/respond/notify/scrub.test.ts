import { describe, expect, it } from "vitest";
import { secretPieces, secretScrubber } from "./scrub.js";

const URL_ = "https://hooks.example.com/services/T0000/B0000/T0K3NsecretXyZ123?auth=QUERYSECRET77";
const TOKEN = "T0K3NsecretXyZ123";

/** Every way a receiver has been seen (or could be expected) to echo a secret. */
function echoes(value: string): Record<string, string> {
  const b64 = Buffer.from(value).toString("base64");
  return {
    exact: value,
    json: JSON.stringify(value).slice(1, -1),
    jsonSlashes: JSON.stringify(value).slice(1, -1).replace(/\//g, "\\/"),
    urlEncoded: encodeURIComponent(value),
    urlEncodedLower: encodeURIComponent(value).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    form: new URLSearchParams({ x: value }).toString().slice(2),
    base64: b64,
    base64NoPad: b64.replace(/=+$/, ""),
    base64url: Buffer.from(value).toString("base64url"),
  };
}

describe("secretScrubber", () => {
  const scrub = secretScrubber([URL_, "hmacKEY-0123456789"]);

  it("takes a URL apart into the pieces that may come back alone", () => {
    expect(secretPieces(URL_)).toEqual(
      expect.arrayContaining([URL_, "/services/T0000/B0000/T0K3NsecretXyZ123?auth=QUERYSECRET77", "/services/T0000/B0000/T0K3NsecretXyZ123", TOKEN, "QUERYSECRET77"]),
    );
    // "services" is a word, not a token: left alone.
    expect(secretPieces(URL_)).not.toContain("services");
  });

  for (const [what, value] of [
    ["the URL", URL_],
    ["the path", "/services/T0000/B0000/T0K3NsecretXyZ123"],
    ["the token alone", TOKEN],
    ["the query value", "QUERYSECRET77"],
    ["the signing key", "hmacKEY-0123456789"],
  ] as const) {
    it(`scrubs ${what} in every encoding`, () => {
      for (const [encoding, echoed] of Object.entries(echoes(value))) {
        const out = scrub(`error: got "${echoed}" here`);
        expect(out, `${what} ${encoding}: ${out}`).toBe('error: got "[redacted]" here');
      }
    });
  }

  it("leaves ordinary text alone", () => {
    expect(scrub("upstream error at /services/ (HTTP 500), retry later")).toBe("upstream error at /services/ (HTTP 500), retry later");
    expect(secretScrubber([])("anything")).toBe("anything");
  });
});
