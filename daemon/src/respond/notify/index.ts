/**
 * Notifications: an outbox persisted in the store, delivered to log, generic
 * JSON (HMAC-signed), Slack, Discord and PagerDuty channels with retries that
 * survive restarts; escalation pages when an SLA passes unacknowledged.
 *
 *     plan.ts      what to notify and to whom (pure; deterministic ids)
 *     deliver.ts   sending what is due, retries, dead letters
 *     channels.ts  channel name → URL and keys from env (never stored)
 *     render.ts    each channel's JSON body (pure)
 *     sign.ts      the generic webhook's signature (and its verification)
 *     scrub.ts     a channel's secrets out of receivers' answers, in any encoding
 *     backoff.ts   retry policy, Retry-After
 *     maintenance.ts  maintenance steps told to the on-call contact (planned and delivered)
 *     notifier.ts  the daemon's entry points: enqueueActions, tick
 */
export * from "./types.js";
export * from "./plan.js";
export * from "./channels.js";
export * from "./render.js";
export * from "./sign.js";
export * from "./backoff.js";
export * from "./deliver.js";
export { secretScrubber } from "./scrub.js";
export * from "./maintenance.js";
export * from "./notifier.js";
