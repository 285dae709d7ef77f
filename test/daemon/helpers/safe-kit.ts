/**
 * Safe's own SDK (`@safe-global/protocol-kit`) pointed at the guardian Safe
 * of a local chain, as an independent signer and checker in tests. The local
 * chain is unknown to Safe's deployment registry, so the helper deploys the
 * libraries protocol-kit wants (MultiSend, SignMessageLib, ...) from the
 * Safe package's artifacts and names them with the Safe's own singleton and
 * fallback handler, read from the proxy's storage.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import SafeDefault from "@safe-global/protocol-kit";

// The package's types are read as CommonJS here, so its default export (the Safe class) sits one level down for tsc; at run time (ESM) it is the class.
type SafeSdk = typeof SafeDefault extends { default: infer C } ? C : typeof SafeDefault;
const Safe = (((SafeDefault as any).init ? SafeDefault : (SafeDefault as any).default) as SafeSdk);
import { encodeFunctionData, getAddress, parseAbi, toHex, type Address, type Hex, type PublicClient } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { DEV_MNEMONIC } from "../../../scripts/lib/local-chain.js";
import { deploySafe } from "../../../daemon/src/deploy/guardian.js";
import { safeCall, type Wallet } from "../../../daemon/src/deploy/local.js";

export const devKey = (i: number): Hex => toHex(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!);

const require = createRequire(import.meta.url);
const artifactsDir = path.join(path.dirname(require.resolve("@safe-global/safe-contracts/package.json")), "build", "artifacts", "contracts");
const artifact = (p: string) => JSON.parse(readFileSync(path.join(artifactsDir, p), "utf8")) as { abi: unknown[]; bytecode: Hex };

/** keccak256("fallback_manager.handler.address"): where a Safe keeps its fallback handler. */
const FALLBACK_HANDLER_SLOT = "0x6c9a6c4a39284e37ed1cf53d337577d14212a4870fb976a4366c693b939918d5";

async function deployArtifact(client: PublicClient, wallet: Wallet, p: string): Promise<Address> {
  const a = artifact(p);
  const hash = await wallet.deployContract({ abi: a.abi as any, bytecode: a.bytecode });
  return getAddress((await client.waitForTransactionReceipt({ hash })).contractAddress!);
}

const word = async (client: PublicClient, address: Address, slot: Hex) => getAddress(`0x${(await client.getStorageAt({ address, slot }))!.slice(26)}`);

/** protocol-kit's `contractNetworks` for a local chain whose Safes were made by `deploySafe`. */
export async function protocolKitNetworks(client: PublicClient, deployer: Wallet, safe: Address) {
  return {
    [String(client.chain!.id)]: {
      safeSingletonAddress: await word(client, safe, "0x0"),
      fallbackHandlerAddress: await word(client, safe, FALLBACK_HANDLER_SLOT),
      safeProxyFactoryAddress: await deployArtifact(client, deployer, "proxies/SafeProxyFactory.sol/SafeProxyFactory.json"),
      multiSendAddress: await deployArtifact(client, deployer, "libraries/MultiSend.sol/MultiSend.json"),
      multiSendCallOnlyAddress: await deployArtifact(client, deployer, "libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json"),
      signMessageLibAddress: await deployArtifact(client, deployer, "libraries/SignMessageLib.sol/SignMessageLib.json"),
      createCallAddress: await deployArtifact(client, deployer, "libraries/CreateCall.sol/CreateCall.json"),
      simulateTxAccessorAddress: await deployArtifact(client, deployer, "accessors/SimulateTxAccessor.sol/SimulateTxAccessor.json"),
    },
  };
}

export type KitNetworks = Awaited<ReturnType<typeof protocolKitNetworks>>;

/** protocol-kit for `safe`, signing with dev account `signerIndex`. */
export function protocolKit(url: string, networks: KitNetworks, safe: Address, signerIndex: number) {
  return Safe.init({ provider: url, signer: devKey(signerIndex), safeAddress: safe, contractNetworks: networks as any });
}

/**
 * A 1-of-1 Safe owned by dev account `ownerIndex`, made an owner of the
 * guardian Safe (threshold kept) by the given guardian owners: a nested Safe,
 * whose signatures are contract signatures (v = 0, EIP-1271).
 */
export async function addNestedSafeOwner(client: PublicClient, deployer: Wallet, guardianSafe: Address, ownerIndex: number, guardianSigners: Wallet[]): Promise<Address> {
  const owner = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: ownerIndex }).address;
  const nested = await deploySafe(client, deployer, [owner], 1);
  const threshold = await client.readContract({ address: guardianSafe, abi: parseAbi(["function getThreshold() view returns (uint256)"]), functionName: "getThreshold" });
  const data = encodeFunctionData({ abi: parseAbi(["function addOwnerWithThreshold(address owner, uint256 _threshold)"]), functionName: "addOwnerWithThreshold", args: [nested, threshold] });
  await safeCall(client, guardianSafe, guardianSafe, data, guardianSigners);
  return nested;
}
