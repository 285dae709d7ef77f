/**
 * ABI fragments of the events the daemon decodes, written with viem's
 * `parseAbi` so that decoding does not depend on compiled artifacts. They
 * mirror contracts/interfaces/IGuardianHub.sol and OpenZeppelin's Pausable;
 * decode/abis.test.ts checks them against the artifacts when those exist.
 */
import { parseAbi } from "viem";

export const guardianHubEventsAbi = parseAbi([
  "event LayerPaused(uint8 indexed layer, address indexed by, uint64 until, bool bySentinel, bytes32 indexed incident)",
  "event LayerUnpaused(uint8 indexed layer, address indexed by, bytes32 indexed incident, bool expired)",
  "event SentinelPauseConfirmed(uint8 indexed layer, address indexed by, bytes32 indexed incident)",
  "event SentinelPauseExtended(uint8 indexed layer, address indexed by, uint64 until, bytes32 indexed incident)",
  "event SentinelHeartbeat(address indexed sentinel, uint64 at)",
]);

/** OpenZeppelin Pausable's events (the kit's DelegationManager, Guardian's guarded paymaster and factory). */
export const pausableEventsAbi = parseAbi(["event Paused(address account)", "event Unpaused(address account)"]);
