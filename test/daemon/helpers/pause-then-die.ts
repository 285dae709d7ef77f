/**
 * Child process for the crash test: signs and journals a sentinel pause, then
 * kills itself with SIGKILL before broadcasting it.
 * Arguments: rpcUrl chainId hub journalFile.
 */
import { createPublicClient, defineChain, http, keccak256, toHex, type Address } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { DEV_MNEMONIC } from "../../../scripts/lib/local-chain.js";
import { ROLE_INDEX } from "../../../daemon/src/deploy/local.js";
import { sendSentinelPause } from "../../../daemon/src/respond/pause-sender.js";
import { fileJournal } from "./file-journal.js";

const [url, chainId, hub, journalFile] = process.argv.slice(2) as [string, string, Address, string];
const chain = defineChain({ id: Number(chainId), name: "local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [url] } } });
const client = createPublicClient({ chain, transport: http(url, { retryCount: 0 }) });
await sendSentinelPause(
  {
    clients: [client],
    chain,
    sentinel: mnemonicToAccount(DEV_MNEMONIC, { addressIndex: ROLE_INDEX.sentinel }),
    hub,
    journal: fileJournal(journalFile),
    afterJournal: () => {
      process.kill(process.pid, "SIGKILL");
    },
  },
  { incidentKey: "inc-7", incidentRef: keccak256(toHex("incident-x")), layers: ["accountFactory"] },
);
