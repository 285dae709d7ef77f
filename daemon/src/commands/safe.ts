/**
 * `guardian safe propose|sign|status|exec`: the guardian Safe's manual pause
 * and unpause, for signers under pressure.
 *
 * - `propose <pause|unpause|confirm> <layer...>` writes a proposal file with
 *   the decoded call, the Safe and its nonce, and the safeTxHash each signer
 *   compares on their own device before signing. `confirm` (keep the
 *   sentinel's pause) proposes the hub's `pause`: it turns a sentinel pause
 *   into an indefinite one, and if that pause expired and was released before
 *   the Safe executes, it pauses the layer again, so a confirm always ends
 *   with the layers paused.
 *   `--tx-builder FILE` also writes the batch file Safe{Wallet}'s
 *   Transaction Builder imports, for signers who sign in Safe{Wallet}.
 * - `sign <file>` checks the file was not modified (the hash is recomputed
 *   from the transaction), that the key is an owner and the nonce is not
 *   used, then adds an EIP-712 signature. Key: env GUARDIAN_SAFE_SIGNER_KEY.
 *   `--signature HEX` adds one made elsewhere instead (Safe{Wallet}, a
 *   hardware wallet, protocol-kit): any kind Safe accepts — EIP-712, eth_sign,
 *   a contract owner's (EIP-1271) or an approved hash — checked as the Safe
 *   would before it is written. Owners who called `approveHash` on chain
 *   count without an entry.
 *   A `confirmPause` proposal (from an older version) whose sentinel pause
 *   has ended is refused here and at `exec`: it would revert on chain.
 * - `status <file>` tells who signed (and with which kind of signature), who
 *   may still sign and whether it can run; once the nonce is used, whether
 *   this proposal ran (its transaction) or another one took the nonce
 *   (superseded, naming it). A signature Safe would refuse: exit 2.
 * - `presign --nonces K` writes "pause all layers" proposals for the Safe's
 *   next K nonces (respond/presign.ts), for a threshold of owners to sign now
 *   and keep offline; `fire <paths...>` executes the one for the Safe's
 *   current nonce at once, from any funded key, and says how many are left.
 * - `attest` signs a liveness message naming the Safe and the latest block
 *   (respond/signer-liveness.ts): an owner's proof they still hold their key.
 * - `exec <file>` refuses below the threshold, naming who may still sign;
 *   simulates; executes; then reads the hub to confirm the layers' state.
 *   Key: env GUARDIAN_EXECUTOR_KEY (any funded account), else the signer key.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import * as z from "zod";
import { createPublicClient, createWalletClient, defineChain, getAddress, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { CliContext } from "./context.js";
import { ArgumentError } from "./errors.js";
import { parseArgs } from "./args.js";
import { readDeployment } from "../deploy/deployments.js";
import { execSafeTx, readSafeState, safeTxPreimageOf, signSafeTx } from "../respond/safe.js";
import { checkSafeSignature, splitSafeSignatures } from "../respond/safe-signatures.js";
import {
  ProposalError,
  type ProposalStatus,
  addSignature,
  assertConfirmStillApplies,
  assertSignaturesValid,
  createProposal,
  layerStandings,
  proposalStatus,
  readProposal,
  txOf,
  verifyProposalIntegrity,
  writeProposal,
} from "../respond/safe-proposal.js";
import { pausedLayers } from "../respond/pause-sender.js";
import { txBuilderBatch } from "../respond/tx-builder.js";
import { attestationMessage } from "../respond/signer-liveness.js";
import { createPresignedPauses, presignFileName, presignedStanding, readPresigned, summarizePresigned } from "../respond/presign.js";
import { LAYERS, type Layer } from "../types.js";

export const SAFE_SIGNER_KEY_ENV = "GUARDIAN_SAFE_SIGNER_KEY";
export const EXECUTOR_KEY_ENV = "GUARDIAN_EXECUTOR_KEY";

const LAYER_ALIASES: Record<string, Layer[]> = {
  entrypoint: ["entryPoint"],
  paymaster: ["entryPoint"],
  accountfactory: ["accountFactory"],
  factory: ["accountFactory"],
  delegation: ["delegation"],
  delegationmanager: ["delegation"],
  all: [...LAYERS],
};

const layerList = z
  .array(z.string())
  .min(1, "expected at least one layer")
  .transform((names, ctx) => {
    const out: Layer[] = [];
    for (const n of names) {
      const layers = LAYER_ALIASES[n.toLowerCase()];
      if (!layers) {
        ctx.addIssue({ code: "custom", message: `expected one of ${LAYERS.join(", ")} or all, got "${n}"` });
        return z.NEVER;
      }
      for (const l of layers) if (!out.includes(l)) out.push(l);
    }
    return LAYERS.filter((l) => out.includes(l));
  });

const proposeSchema = z.object({
  action: z.enum(["pause", "unpause", "confirm"], { message: "expected pause, unpause or confirm" }),
  layers: layerList,
  incident: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
  txBuilder: z.string().min(1, "expected a file name").optional(),
  json: z.boolean().optional(),
});

const fileSchema = z.object({ file: z.string().min(1, "expected a proposal file"), json: z.boolean().optional() });

const presignSchema = z.object({
  nonces: z.coerce.number({ error: "expected a number of nonces (1-100)" }).int("expected a whole number of nonces").min(1, "expected at least 1 nonce").max(100, "expected at most 100 nonces"),
  outDir: z.string().min(1).default("presigned"),
});
const fireSchema = z.object({ paths: z.array(z.string().min(1)).min(1, "expected pre-signed pause files or a directory of them") });

const hexBytes = z.string().regex(/^0x([0-9a-fA-F]{2})+$/, "expected 0x-prefixed hex bytes");
const signSchema = fileSchema.extend({
  signature: hexBytes.optional(),
  signer: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte address")
    .optional(),
});

function keyFrom(ctx: CliContext, names: string[]): Hex {
  for (const name of names) {
    const v = ctx.env[name];
    if (v) {
      if (!/^0x[0-9a-fA-F]{64}$/.test(v)) throw new ArgumentError([`env ${name}: expected a 0x-prefixed 32-byte private key`]);
      return v as Hex;
    }
  }
  throw new ArgumentError([`env ${names.join(" or ")}: expected the key to sign with (keys are never read from files or arguments)`]);
}

function chainContext(ctx: CliContext) {
  const config = ctx.config();
  const deployment = readDeployment(config.deploymentsFile);
  if (deployment.chainId !== config.chainId) {
    throw new ArgumentError([`deployments file ${config.deploymentsFile} is for chain ${deployment.chainId}, the config for chain ${config.chainId}`]);
  }
  const url = config.rpc.endpoints[0]!.http;
  const chain = defineChain({ id: config.chainId, name: `chain-${config.chainId}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [url] } } });
  const client = createPublicClient({ chain, transport: http(url, { retryCount: 1 }) });
  return { config, deployment, chain, client, url };
}

const KIND_WORDS = { eip712: "EIP-712", eth_sign: "eth_sign", contract: "contract signature", "approved-hash": "approved hash" } as const;

function describeStatus(s: ProposalStatus, nonce: string) {
  const o = s.outcome;
  if (o.state === "executed") {
    return [
      o.success
        ? `EXECUTED in tx ${o.transactionHash} (block ${o.blockNumber})`
        : `EXECUTED in tx ${o.transactionHash} (block ${o.blockNumber}), but the call itself failed (ExecutionFailure): the nonce is used, nothing changed`,
    ];
  }
  if (o.state === "superseded") {
    return [
      o.by
        ? `SUPERSEDED: another Safe transaction (safeTxHash ${o.by.safeTxHash}) used nonce ${nonce} in tx ${o.by.transactionHash} (block ${o.by.blockNumber}); this proposal can never run. Propose again if it is still needed.`
        : `NONCE USED: the Safe's nonce is now ${s.currentNonce}; nonce ${nonce} was used, but its execution was not found in the Safe's logs, so this may be this proposal or another. It can never run again; check the Safe's history.`,
    ];
  }
  const lines = [
    `signatures: ${s.signed.length} of ${s.threshold} required${s.signatures.length ? ` (${s.signatures.map((v) => `${v.owner} ${KIND_WORDS[v.kind]}${v.onChain ? " on chain" : ""}`).join(", ")})` : " (none)"}`,
  ];
  for (const x of s.invalid) lines.push(`INVALID signature from ${x.signer}${x.kind ? ` (${KIND_WORDS[x.kind]})` : ""}: ${x.reason}`);
  if (s.foreign.length) lines.push(`not owners (ignored): ${s.foreign.join(", ")}`);
  if (o.state === "waiting") lines.push(`waiting: the Safe's nonce is ${s.currentNonce}; earlier transactions must run first`);
  if (!s.executable && s.signed.length < s.threshold) lines.push(`may still sign: ${s.missing.join(", ")}`);
  lines.push(s.executable ? "ready to execute" : "not executable yet");
  return lines;
}

function statusJson(s: ProposalStatus) {
  return JSON.parse(JSON.stringify(s, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
}

function assertNotRun(s: ProposalStatus, p: { safe: string; tx: { nonce: string } }) {
  const o = s.outcome;
  if (o.state === "executed") throw new ProposalError(`already executed: tx ${o.transactionHash} in block ${o.blockNumber}; nothing to do`);
  if (o.state === "superseded") {
    throw new ProposalError(
      `stale proposal: nonce ${p.tx.nonce} of Safe ${p.safe} was used by ${o.by ? `another transaction (tx ${o.by.transactionHash}, safeTxHash ${o.by.safeTxHash})` : "another transaction"}. Propose again.`,
    );
  }
}

export function registerSafe(program: Command, ctx: CliContext): void {
  const safe = program.command("safe").description("the guardian Safe: propose, sign and execute a manual pause or unpause");

  safe
    .command("propose")
    .description("write a proposal file for the guardian Safe's signers")
    .argument("<action>", "pause | unpause | confirm (keep a sentinel pause: paused indefinitely, even if it expired or was released meanwhile)")
    .argument("<layers...>", `${LAYERS.join(" | ")} | all`)
    .option("--incident <id>", "the incident this is about (recorded on chain)")
    .option("--out <file>", "where to write the proposal (default ./safe-<nonce>-<action>.json)")
    .option("--tx-builder <file>", "also write the batch file Safe{Wallet}'s Transaction Builder imports")
    .option("--json", "print the proposal as JSON")
    .action(async (action: string, layers: string[], options: Record<string, unknown>) => {
      const args = parseArgs(proposeSchema, { action, layers, ...options }, { action: "<action>", layers: "<layers>", incident: "--incident", out: "--out", txBuilder: "--tx-builder" });
      const { deployment, client } = chainContext(ctx);
      const hub = getAddress(deployment.guardian.hub);
      const confirm = args.action === "confirm";
      const proposal = await createProposal(client, {
        safe: getAddress(deployment.guardian.safe),
        hub,
        // The hub's pause confirms a sentinel pause, and pauses the layer
        // again if that pause was released before the Safe executes.
        action: args.action === "confirm" ? "pause" : args.action,
        verb: confirm ? "confirm (pause indefinitely, even if the sentinel pause expires or is released first)" : undefined,
        layers: args.layers,
        incident: args.incident,
        now: ctx.clock(),
      });
      const standings = confirm ? await layerStandings(client, hub, args.layers) : undefined;
      const file = path.resolve(ctx.cwd, args.out ?? `safe-${proposal.tx.nonce}-${args.action}.json`);
      writeProposal(file, proposal);
      const batchFile = args.txBuilder ? path.resolve(ctx.cwd, args.txBuilder) : undefined;
      if (batchFile) writeFileSync(batchFile, JSON.stringify(txBuilderBatch(proposal, { createdAt: ctx.clock() }), null, 2) + "\n");
      if (args.json) ctx.stdout(JSON.stringify(proposal, null, 2) + "\n");
      else {
        ctx.stdout(
          [
            `proposal written to ${file}`,
            `  ${proposal.description}`,
            `  Safe ${proposal.safe} on chain ${proposal.chainId}, nonce ${proposal.tx.nonce}`,
            `  safeTxHash ${proposal.safeTxHash}`,
            ...(batchFile ? [`Safe{Wallet}: ${batchFile} loads in Apps → Transaction Builder (drag the file in); check that it is queued at nonce ${proposal.tx.nonce} and shows this safeTxHash.`] : []),
            ...(standings ? [`  now: ${args.layers.map((l) => `${l}: ${standings[l]}`).join("; ")}`] : []),
            "Each signer: compare this safeTxHash with the one your own device shows, then run `guardian safe sign <file>`.",
          ].join("\n") + "\n",
        );
      }
    });

  safe
    .command("sign")
    .description(`add your signature (key from env ${SAFE_SIGNER_KEY_ENV}), or one made elsewhere (--signature)`)
    .argument("<files...>", "proposal files (several: e.g. every pre-signed pause; with --signature only one)")
    .option("--signature <hex>", "add a signature made elsewhere (Safe{Wallet}, a hardware wallet, protocol-kit): one owner's 65 bytes (v 27/28, 31/32, 1), a contract signature, or a whole signatures blob")
    .option("--signer <address>", "the owner the --signature is from (checked)")
    .action(async (files: string[], options: Record<string, unknown>) => {
      if (files.length > 1 && options.signature) throw new ArgumentError([`--signature: give one proposal file with it, got ${files.length}`]);
      for (const file of files) await signOne(file, options);
    });

  async function signOne(file: string, options: Record<string, unknown>) {
    const args = parseArgs(signSchema, { file, ...options }, { file: "<files>", signature: "--signature", signer: "--signer" });
    const target = path.resolve(ctx.cwd, args.file);
    const proposal = readProposal(target);
    await verifyProposalIntegrity(proposal);
    const { client, chain } = chainContext(ctx);
    if (proposal.chainId !== chain.id) throw new ProposalError(`proposal is for chain ${proposal.chainId}, the config for chain ${chain.id}`);
    await assertConfirmStillApplies(client, proposal);
    const before = await proposalStatus(client, proposal);
    assertNotRun(before, proposal);
    let next = proposal;
    const added: string[] = [];
    if (args.signature) {
      let entries;
      try {
        entries = splitSafeSignatures(args.signature as Hex);
      } catch (e) {
        throw new ProposalError(`--signature: ${(e as Error).message}`);
      }
      if (args.signer && entries.length !== 1) throw new ArgumentError([`--signer: the --signature holds ${entries.length} signatures; give --signer only with one`]);
      const safeAddr = getAddress(proposal.safe);
      const preimage = safeTxPreimageOf(safeAddr, proposal.chainId, txOf(proposal));
      for (const [i, entry] of entries.entries()) {
        const r = await checkSafeSignature(client, { safe: safeAddr, safeTxHash: proposal.safeTxHash as Hex, preimage, signature: entry });
        const which = entries.length > 1 ? `signature ${i + 1} of ${entries.length}` : "the signature";
        if (!r.ok) throw new ProposalError(`--signature: ${which}${r.owner ? ` from ${r.owner}` : ""}${r.kind ? ` (${KIND_WORDS[r.kind]})` : ""} is not valid for safeTxHash ${proposal.safeTxHash}: ${r.reason}`);
        if (args.signer && getAddress(args.signer) !== r.owner) {
          throw new ProposalError(`--signature: made by ${r.owner} (${KIND_WORDS[r.kind]}), not by --signer ${getAddress(args.signer)}; was it signed for this safeTxHash (${proposal.safeTxHash})?`);
        }
        if (!before.owners.includes(r.owner)) throw new ProposalError(`--signature: ${which} is from ${r.owner}, not an owner of Safe ${proposal.safe} (owners: ${before.owners.join(", ")})`);
        next = addSignature(next, { signer: r.owner, signature: entry });
        added.push(`${r.owner} (${KIND_WORDS[r.kind]})`);
      }
    } else {
      const account = privateKeyToAccount(keyFrom(ctx, [SAFE_SIGNER_KEY_ENV]));
      if (!before.owners.includes(getAddress(account.address))) {
        throw new ProposalError(`${account.address} is not an owner of Safe ${proposal.safe} (owners: ${before.owners.join(", ")})`);
      }
      const sig = await signSafeTx(account, getAddress(proposal.safe), proposal.chainId, txOf(proposal));
      next = addSignature(next, sig);
      added.push(`${getAddress(account.address)} (EIP-712)`);
    }
    writeProposal(target, next);
    const after = await proposalStatus(client, next);
    ctx.stdout([`${path.basename(target)}: signed by ${added.join(", ")} (safeTxHash ${proposal.safeTxHash})`, ...describeStatus(after, proposal.tx.nonce)].join("\n") + "\n");
    assertSignaturesValid(after.invalid);
  }

  safe
    .command("status")
    .description("who signed, who may still sign, and whether it can run")
    .argument("<file>", "proposal file")
    .option("--json", "print as JSON")
    .action(async (file: string, options: Record<string, unknown>) => {
      const args = parseArgs(fileSchema, { file, ...options }, { file: "<file>" });
      const proposal = readProposal(path.resolve(ctx.cwd, args.file));
      await verifyProposalIntegrity(proposal);
      const { client } = chainContext(ctx);
      const s = await proposalStatus(client, proposal);
      if (args.json) ctx.stdout(JSON.stringify({ ...statusJson(s), description: proposal.description, safeTxHash: proposal.safeTxHash }, null, 2) + "\n");
      else ctx.stdout([proposal.description, `safeTxHash ${proposal.safeTxHash}`, ...describeStatus(s, proposal.tx.nonce)].join("\n") + "\n");
      if (s.outcome.state === "pending" || s.outcome.state === "waiting") assertSignaturesValid(s.invalid);
    });

  safe
    .command("presign")
    .description("pre-signed pauses: 'pause all layers' proposals for the Safe's next K nonces, for the signers to sign now and keep offline")
    .requiredOption("--nonces <k>", "how many of the Safe's next nonces to cover")
    .option("--out-dir <dir>", "where to write them", "presigned")
    .action(async (options: Record<string, unknown>) => {
      const args = parseArgs(presignSchema, options, { nonces: "--nonces", outDir: "--out-dir" });
      const { deployment, client } = chainContext(ctx);
      const dir = path.resolve(ctx.cwd, args.outDir);
      mkdirSync(dir, { recursive: true });
      const proposals = await createPresignedPauses(client, { safe: getAddress(deployment.guardian.safe), hub: getAddress(deployment.guardian.hub), count: args.nonces, now: ctx.clock() });
      const lines = [`${proposals.length} pre-signed pause proposals (all layers) written to ${dir}:`];
      for (const p of proposals) {
        const file = path.join(dir, presignFileName(p.tx.nonce));
        writeProposal(file, p);
        lines.push(`  nonce ${p.tx.nonce}: ${path.basename(file)}  safeTxHash ${p.safeTxHash}`);
      }
      const first = proposals[0]!;
      lines.push(
        `Signed under ${first.presigned!.threshold}-of-${first.presigned!.owners.length} (${first.presigned!.owners.join(", ")}).`,
        `Each of ${first.presigned!.threshold} owners: compare each safeTxHash on your device, then \`guardian safe sign ${path.relative(ctx.cwd, dir) || "."}/*.json\`.`,
        "Keep the signed files offline: whoever holds one can pause every layer until the Safe unpauses. Fire with `guardian safe fire <dir>`.",
      );
      ctx.stdout(lines.join("\n") + "\n");
    });

  safe
    .command("fire")
    .description(`execute the pre-signed pause for the Safe's current nonce at once (key from env ${EXECUTOR_KEY_ENV}: any funded account)`)
    .argument("<paths...>", "pre-signed pause files, or directories of them")
    .action(async (paths: string[]) => {
      const args = parseArgs(fireSchema, { paths }, { paths: "<paths>" });
      const { client, chain, url, deployment } = chainContext(ctx);
      const safeAddr = getAddress(deployment.guardian.safe);
      const { proposals } = readPresigned(args.paths.map((p) => path.resolve(ctx.cwd, p)), safeAddr, chain.id);
      const state = await readSafeState(client, safeAddr);
      const summaries = await summarizePresigned(proposals);
      const standing = presignedStanding(summaries, { nonce: Number(state.nonce), owners: state.owners, threshold: Number(state.threshold) });
      const current = proposals.find((x) => BigInt(x.proposal.tx.nonce) === state.nonce);
      if (!current) {
        const covered = summaries.map((f) => f.nonce);
        throw new ProposalError(
          covered.length === 0
            ? `no pre-signed pause for Safe ${safeAddr} on chain ${chain.id} in ${args.paths.join(", ")}`
            : `no pre-signed pause for the Safe's current nonce ${state.nonce}: the files cover nonces ${covered.join(", ")}${standing.highestNonce! < Number(state.nonce) ? " (all consumed)" : ""}. Propose and sign a pause instead: guardian safe propose pause all`,
        );
      }
      const proposal = current.proposal;
      await verifyProposalIntegrity(proposal);
      const executor = privateKeyToAccount(keyFrom(ctx, [EXECUTOR_KEY_ENV, SAFE_SIGNER_KEY_ENV]));
      const s = await proposalStatus(client, proposal);
      assertSignaturesValid(s.invalid);
      if (s.signed.length < s.threshold) {
        throw new ProposalError(
          `${current.file}: ${s.signed.length} of ${s.threshold} required signatures hold now (${s.signed.join(", ") || "none"})${standing.configChanged.includes(Number(state.nonce)) ? "; the Safe's owners or threshold changed since it was signed" : ""}. Propose and sign a pause instead: guardian safe propose pause all`,
        );
      }
      const wallet = createWalletClient({ chain, transport: http(url, { retryCount: 1 }), account: executor });
      const hash = await execSafeTx(wallet, client, safeAddr, txOf(proposal), s.signatures.slice(0, s.threshold).map((x) => ({ signer: x.owner, signature: x.signature })));
      const receipt = await client.getTransactionReceipt({ hash });
      const paused = await pausedLayers(client, getAddress(deployment.guardian.hub), proposal.layers);
      const notPaused = proposal.layers.filter((l) => !paused.includes(l));
      const left = standing.validNonces.filter((n) => n > Number(state.nonce));
      ctx.stdout(
        [
          `fired ${path.basename(current.file)} (nonce ${proposal.tx.nonce}): tx ${hash} in block ${receipt.blockNumber} (${receipt.gasUsed} gas)`,
          notPaused.length ? `WARNING: on chain, ${notPaused.join(", ")} are not paused` : `confirmed on chain: ${proposal.layers.join(", ")} paused`,
          `pre-signed pauses left: ${left.length ? `nonces ${left.join(", ")}` : "none: run guardian safe presign again"}`,
        ].join("\n") + "\n",
      );
    });

  safe
    .command("attest")
    .description(`prove you still control your owner key: sign a message naming the Safe and the latest block (key from env ${SAFE_SIGNER_KEY_ENV})`)
    .option("--out <file>", "where to write the attestation (default ./attest-<owner>-<block>.json); put it where safe.liveness.attestations points")
    .action(async (options: Record<string, unknown>) => {
      const args = parseArgs(z.object({ out: z.string().min(1).optional() }), options, { out: "--out" });
      const { client, chain, deployment } = chainContext(ctx);
      const safeAddr = getAddress(deployment.guardian.safe);
      const account = privateKeyToAccount(keyFrom(ctx, [SAFE_SIGNER_KEY_ENV]));
      const state = await readSafeState(client, safeAddr);
      if (!state.owners.map((o) => getAddress(o)).includes(getAddress(account.address))) {
        throw new ProposalError(`${account.address} is not an owner of Safe ${safeAddr} (owners: ${state.owners.join(", ")})`);
      }
      const block = await client.getBlock();
      const a = { safe: safeAddr, chainId: chain.id, blockNumber: Number(block.number), blockHash: block.hash! };
      const signature = await account.signMessage({ message: attestationMessage(a) });
      const file = path.resolve(ctx.cwd, args.out ?? `attest-${account.address.toLowerCase()}-${a.blockNumber}.json`);
      writeFileSync(file, JSON.stringify({ kind: "guardian-safe-attestation", version: 1, ...a, signer: getAddress(account.address), signature }, null, 2) + "\n");
      ctx.stdout(`attestation by ${getAddress(account.address)} at block ${a.blockNumber} written to ${file}\n`);
    });

  safe
    .command("exec")
    .description(`simulate and execute once the threshold is met (key from env ${EXECUTOR_KEY_ENV} or ${SAFE_SIGNER_KEY_ENV})`)
    .argument("<file>", "proposal file")
    .action(async (file: string) => {
      const args = parseArgs(fileSchema, { file }, { file: "<file>" });
      const proposal = readProposal(path.resolve(ctx.cwd, args.file));
      await verifyProposalIntegrity(proposal);
      const { client, chain, url, deployment } = chainContext(ctx);
      const s = await proposalStatus(client, proposal);
      assertNotRun(s, proposal);
      assertSignaturesValid(s.invalid);
      if (s.future) throw new ProposalError(`not yet: Safe ${proposal.safe} is at nonce ${s.currentNonce}; the transactions before nonce ${proposal.tx.nonce} must run first`);
      if (s.signed.length < s.threshold) {
        throw new ProposalError(`below threshold: ${s.signed.length} of ${s.threshold} required signatures (${s.signed.join(", ") || "none"}); may still sign: ${s.missing.join(", ")}`);
      }
      await assertConfirmStillApplies(client, proposal);
      const executor = privateKeyToAccount(keyFrom(ctx, [EXECUTOR_KEY_ENV, SAFE_SIGNER_KEY_ENV]));
      const wallet = createWalletClient({ chain, transport: http(url, { retryCount: 1 }), account: executor });
      // Exactly the threshold's worth: Safe checks only the first `threshold` entries anyway.
      const ownerSigs = s.signatures.slice(0, s.threshold).map((x) => ({ signer: x.owner, signature: x.signature }));
      const hash = await execSafeTx(wallet, client, getAddress(proposal.safe), txOf(proposal), ownerSigs);
      const receipt = await client.getTransactionReceipt({ hash });
      const paused = await pausedLayers(client, getAddress(deployment.guardian.hub), proposal.layers);
      const expectPaused = proposal.action !== "unpause";
      const wrong = proposal.layers.filter((l) => paused.includes(l) !== expectPaused);
      ctx.stdout(
        [
          `executed: tx ${hash} in block ${receipt.blockNumber} (${receipt.gasUsed} gas)`,
          wrong.length
            ? `WARNING: on chain, ${wrong.join(", ")} ${expectPaused ? "are not paused" : "are still paused"}`
            : `confirmed on chain: ${proposal.layers.join(", ")} ${expectPaused ? "paused" : "unpaused"}`,
        ].join("\n") + "\n",
      );
    });
}
