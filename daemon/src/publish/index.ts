/**
 * Publish: store → public status files (status.json, Statuspage v2 API,
 * Atom feed, shields badges). Only `write.ts` does I/O.
 */
export * from "./schema.js";
export * from "./build.js";
export * from "./statuspage.js";
export * from "./statuspage-schema.js";
export { atomFeed, componentFeedPath, FEED_PATH, xmlEscape } from "./feed.js";
export { statusWidget, WIDGET_PATH, type StatusWidget } from "./widget.js";
export { badges, badgePath, type ShieldsEndpointBadge } from "./badges.js";
export { renderStatusFiles, STATUS_PATH, type PublishedFile } from "./files.js";
export { writeStatusFiles, type WriteStatusFilesResult } from "./write.js";
export { eventsForSubscriber, subscriberEvents, SUBSCRIBER_EVENT_TYPES, type SubscriberEvent, type SubscriberEventType } from "./events.js";
