import { describe, expect, it } from "vitest";
import { redactLogFields, redactUrl, redactUrls } from "./redact.js";

describe("redactUrl / redactUrls", () => {
  it("keeps scheme, host and port; marks a removed path, query, fragment or user info", () => {
    expect(redactUrl("https://mainnet.infura.io/v3/0123abcd")).toBe("https://mainnet.infura.io/…");
    expect(redactUrl("http://127.0.0.1:8545")).toBe("http://127.0.0.1:8545");
    expect(redactUrl("http://127.0.0.1:8545/")).toBe("http://127.0.0.1:8545");
    expect(redactUrl("https://rpc.example?apikey=k")).toBe("https://rpc.example/…");
    expect(redactUrl("https://user:pass@rpc.example")).toBe("https://rpc.example/…");
    expect(redactUrl("wss://[::1]:8546/ws/key#x")).toBe("wss://[::1]:8546/…");
    expect(redactUrl("not a url")).toBe("[URL]");
  });

  it("redacts every URL in a text, keeping the punctuation around it", () => {
    const viem = 'HTTP request failed.\n\nURL: http://127.0.0.1:9/v3/KEY?apikey=Q\nRequest body: {"method":"eth_chainId"}\n\nDetails: fetch failed\nVersion: viem@2';
    expect(redactUrls(viem)).toBe('HTTP request failed.\n\nURL: http://127.0.0.1:9/…\nRequest body: {"method":"eth_chainId"}\n\nDetails: fetch failed\nVersion: viem@2');
    expect(redactUrls("endpoints (https://a.example/k1, wss://b.example:8546/k2).")).toBe("endpoints (https://a.example/…, wss://b.example:8546/…).");
    expect(redactUrls('"url":"https://a.example/k"')).toBe('"url":"https://a.example/…"');
    expect(redactUrls("no url here: ftp is not touched ftp://x/y")).toBe("no url here: ftp is not touched ftp://x/y");
    // The PostgreSQL store's URL carries a password.
    expect(redactUrls("connect postgres://guardian:s3cret@db.example:5432/guardian failed")).toBe("connect postgres://db.example:5432/… failed");
    expect(redactUrls("postgresql://u:p@10.0.0.5/db")).toBe("postgresql://10.0.0.5/…");
  });

  it("redacts log fields: nested strings and Error messages and stacks", () => {
    const error = new Error("request to https://rpc.example/v2/KEY failed");
    const out = redactLogFields({ err: error, nested: { url: "https://hooks.example/T/B/SECRET" }, list: ["http://h/x"], n: 1 });
    expect(JSON.stringify(out)).not.toMatch(/KEY|SECRET|\/x/);
    expect(out.err).toBeInstanceOf(Error);
    expect(out.err.message).toBe("request to https://rpc.example/… failed");
    expect(out.err.stack).not.toContain("KEY");
    expect(out).toMatchObject({ nested: { url: "https://hooks.example/…" }, list: ["http://h/…"], n: 1 });
  });
});
