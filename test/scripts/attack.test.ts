/**
 * scripts/lib/attack.ts on both node implementations: a prepared drain,
 * signed by the attacker and put into the pool of a node that does not mine
 * on its own, moves the value when the block is mined; a renewed delegation
 * allows a second drain after the first used up the allowance; a sentinel
 * pause sent after the drain with a higher priority fee is mined ahead of it
 * in the same block, and the drain reverts with `EnforcedPause()` (what
 * pre-emption relies on: both nodes order their pool by fee).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAbi, parseEther, type Address } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { DEV_MNEMONIC } from "../../scripts/lib/local-chain.js";
import { prepareDrain, revertedWith, sendRawTransaction, signDrain, type PreparedDrain } from "../../scripts/lib/attack.js";
import { startStack, type NodeKind, type StackEnv } from "../daemon/helpers/stack.js";

/** A dev key no role of the stack uses (anvil funds only 10: prepareDrain gives it gas money). */
const attacker = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 13 });
const thief: Address = "0x000000000000000000000000000000000000dEaD";
const hubAbi = parseAbi(["function sentinelPause(uint8[] layers, bytes32 incident)"]);

for (const node of ["edr", "anvil"] as NodeKind[]) {
  describe(`attack: a delegation drain (${node})`, () => {
    let s: StackEnv;
    let drain: PreparedDrain;
    beforeAll(async () => {
      s = await startStack({ node });
      drain = await prepareDrain({ client: s.client as never, deployment: s.deployment, funder: s.wallets.deployer, attacker, fundWei: parseEther("20"), allowanceWei: parseEther("15") });
      await s.rpc("evm_setAutomine", [false]);
    });
    afterAll(async () => {
      await s?.chain.stop();
    });

    const fees = async () => {
      const base = (await s.client.getBlock({ blockTag: "latest" })).baseFeePerGas ?? 1n;
      return { maxFeePerGas: base * 2n + parseEther("0.000000002"), maxPriorityFeePerGas: parseEther("0.000000002") };
    };

    it("the signed redemption waits in the pool, then moves the value in the mined block", async () => {
      expect(await s.client.getBalance({ address: drain.delegator })).toBe(parseEther("20"));
      const before = await s.client.getBalance({ address: thief });
      const { raw, hash } = await signDrain({ client: s.client as never, attacker, deployment: s.deployment, calldata: drain.calldata(thief, parseEther("12")), fees: await fees(), gas: 500_000n });
      expect(await sendRawTransaction(s.client as never, raw)).toBe(hash);
      expect(await s.client.getTransactionReceipt({ hash }).catch(() => undefined)).toBeUndefined();
      await s.rpc("evm_mine", []);
      const receipt = await s.client.getTransactionReceipt({ hash });
      expect(receipt.status).toBe("success");
      expect((await s.client.getBalance({ address: thief })) - before).toBe(parseEther("12"));
      expect(await s.client.getBalance({ address: drain.delegator })).toBe(parseEther("8"));
    });

    it("beyond the allowance the redemption reverts; a renewed delegation drains again (legacy gas price)", async () => {
      const over = await signDrain({ client: s.client as never, attacker, deployment: s.deployment, calldata: drain.calldata(thief, parseEther("5")), fees: await fees(), gas: 500_000n });
      await sendRawTransaction(s.client as never, over.raw);
      await s.rpc("evm_mine", []);
      expect((await s.client.getTransactionReceipt({ hash: over.hash })).status).toBe("reverted");

      await s.rpc("evm_setAutomine", [true]);
      await drain.renew();
      await s.rpc("evm_setAutomine", [false]);
      expect(await s.client.getBalance({ address: drain.delegator })).toBe(parseEther("20"));
      const before = await s.client.getBalance({ address: thief });
      const base = (await s.client.getBlock({ blockTag: "latest" })).baseFeePerGas ?? 1n;
      const again = await signDrain({ client: s.client as never, attacker, deployment: s.deployment, calldata: drain.calldata(thief, parseEther("12")), fees: { gasPrice: base * 2n + 1_000_000_000n }, gas: 500_000n });
      await sendRawTransaction(s.client as never, again.raw);
      await s.rpc("evm_mine", []);
      expect((await s.client.getTransactionReceipt({ hash: again.hash })).status).toBe("success");
      expect((await s.client.getBalance({ address: thief })) - before).toBe(parseEther("12"));
    });

    it("a sentinel pause sent after the drain with a higher priority fee lands first in the same block: the drain reverts with EnforcedPause", async () => {
      await s.rpc("evm_setAutomine", [true]);
      await drain.renew();
      await s.rpc("evm_setAutomine", [false]);
      const before = await s.client.getBalance({ address: drain.delegator });
      const f = await fees();
      const attack = await signDrain({ client: s.client as never, attacker, deployment: s.deployment, calldata: drain.calldata(thief, parseEther("12")), fees: f, gas: 500_000n });
      await sendRawTransaction(s.client as never, attack.raw);
      const pause = await s.wallets.sentinel.writeContract({
        address: s.deployment.guardian.hub,
        abi: hubAbi,
        functionName: "sentinelPause",
        args: [[2], `0x${"17".repeat(32)}`],
        gas: 300_000n,
        maxFeePerGas: f.maxFeePerGas * 2n,
        maxPriorityFeePerGas: f.maxPriorityFeePerGas * 2n,
      });
      await s.rpc("evm_mine", []);
      const [a, p] = [await s.client.getTransactionReceipt({ hash: attack.hash }), await s.client.getTransactionReceipt({ hash: pause })];
      expect(p.status).toBe("success");
      expect(a.status).toBe("reverted");
      expect(a.blockNumber).toBe(p.blockNumber);
      expect(p.transactionIndex).toBeLessThan(a.transactionIndex);
      expect(await revertedWith(s.client as never, attack.hash)).toBe(true);
      expect(await revertedWith(s.client as never, pause)).toBe(false);
      expect(await s.client.getBalance({ address: drain.delegator })).toBe(before);
    });
  });
}
