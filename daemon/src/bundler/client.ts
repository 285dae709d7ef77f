/**
 * A small JSON-RPC client for an ERC-4337 bundler (eth_chainId,
 * eth_supportedEntryPoints, eth_estimateUserOperationGas,
 * eth_sendUserOperation, eth_getUserOperationReceipt,
 * eth_getUserOperationByHash). I/O at the edge: every answer is untrusted,
 * read up to `maxBytes`, validated with zod; every failure is a value
 * (`BundlerResult`), never a throw, and never carries the bundler's URL
 * (it may hold an API key) except redacted. A receipt of an operation that
 * failed on chain carries its decoded revert (`UserOperationReceipt.revert`).
 */
import { z } from "zod";
import { redactUrl, redactUrls } from "../config/redact.js";
import { untrustedText } from "../decode/untrusted-text.js";
import type { DecodedRevert } from "../decode/revert.js";
import { type BundlerRefusal, classifyBundlerError, decodeBundlerRevert } from "./errors.js";

export type BundlerFailure =
  | BundlerRefusal
  | { kind: "timeout"; message: string }
  | { kind: "unreachable"; message: string }
  | { kind: "malformed"; message: string };

export type BundlerResult<T> = { ok: true; value: T; latencyMs: number } | { ok: false; error: BundlerFailure; latencyMs: number };

export type BundlerClientOptions = { url: string; timeoutMs?: number; maxBytes?: number };

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/).max(2 + 2 * 64 * 1024);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const envelope = z.object({ jsonrpc: z.literal("2.0").optional(), id: z.unknown().optional(), result: z.unknown().optional(), error: z.unknown().optional() });

export const gasEstimateSchema = z
  .object({ preVerificationGas: hex, verificationGasLimit: hex, callGasLimit: hex })
  .passthrough();
export const receiptSchema = z
  .object({ userOpHash: hex, success: z.boolean(), actualGasCost: hex.optional(), receipt: z.object({ transactionHash: hex, blockNumber: hex }).passthrough() })
  .passthrough()
  .nullable();

/**
 * A user operation's receipt as the bundler gives it, plus `revert`: for an
 * operation included with `success: false`, its revert decoded from the
 * receipt's `reason` (Alto passes the EntryPoint's `UserOperationRevertReason`
 * there, e.g. "0xd93c0665" for a redemption while the DelegationManager is
 * paused).
 */
export type UserOperationReceipt = NonNullable<z.infer<typeof receiptSchema>> & { revert?: DecodedRevert };

export function createBundlerClient(options: BundlerClientOptions) {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const where = redactUrl(options.url);
  let id = 0;

  async function call<T>(method: string, params: unknown[], schema: z.ZodType<T>): Promise<BundlerResult<T>> {
    const started = performance.now();
    const done = (r: { ok: true; value: T } | { ok: false; error: BundlerFailure }): BundlerResult<T> => ({ ...r, latencyMs: performance.now() - started }) as BundlerResult<T>;
    let text: string;
    try {
      const res = await fetch(options.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }, (_k, v) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v)),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await readBounded(res, maxBytes);
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === "TimeoutError" || name === "AbortError") return done({ ok: false, error: { kind: "timeout", message: `${method} to ${where}: no answer within ${timeoutMs} ms` } });
      if (err instanceof TooLarge) return done({ ok: false, error: { kind: "malformed", message: `${method} to ${where}: answer larger than ${maxBytes} bytes` } });
      const cause = untrustedText(redactUrls(String((err as Error & { cause?: { code?: string } })?.cause?.code ?? (err as Error)?.message ?? err)));
      return done({ ok: false, error: { kind: "unreachable", message: `${method} to ${where}: ${cause}` } });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return done({ ok: false, error: { kind: "malformed", message: `${method} to ${where}: answer is not JSON` } });
    }
    const env = envelope.safeParse(body);
    if (!env.success) return done({ ok: false, error: { kind: "malformed", message: `${method} to ${where}: not a JSON-RPC answer` } });
    if (env.data.error !== undefined) return done({ ok: false, error: classifyBundlerError(env.data.error) });
    const value = schema.safeParse(env.data.result);
    if (!value.success) return done({ ok: false, error: { kind: "malformed", message: `${method} to ${where}: unexpected result shape` } });
    return done({ ok: true, value: value.data });
  }

  return {
    chainId: () => call("eth_chainId", [], hex),
    supportedEntryPoints: () => call("eth_supportedEntryPoints", [], z.array(address).max(64)),
    estimateUserOperationGas: (userOp: Record<string, unknown>, entryPoint: string) => call("eth_estimateUserOperationGas", [userOp, entryPoint], gasEstimateSchema),
    sendUserOperation: (userOp: Record<string, unknown>, entryPoint: string) => call("eth_sendUserOperation", [userOp, entryPoint], hex),
    getUserOperationReceipt: async (hash: string): Promise<BundlerResult<UserOperationReceipt | null>> => {
      const r = await call("eth_getUserOperationReceipt", [hash], receiptSchema);
      if (!r.ok || r.value === null || r.value.success) return r;
      const revert = decodeBundlerRevert((r.value as { reason?: unknown }).reason);
      return revert ? { ...r, value: { ...r.value, revert } } : r;
    },
    getUserOperationByHash: (hash: string) => call("eth_getUserOperationByHash", [hash], z.object({ userOperation: z.record(z.string(), z.unknown()), entryPoint: address }).passthrough().nullable()),
  };
}

export type BundlerClient = ReturnType<typeof createBundlerClient>;

class TooLarge extends Error {}

async function readBounded(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new TooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
