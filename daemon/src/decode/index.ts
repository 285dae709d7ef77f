export { guardianHubEventsAbi, pausableEventsAbi } from "./abis.js";
export { decodeLogs, type DecodeConfig } from "./events.js";
