/**
 * The status document the pages render: the build's snapshot of the
 * publisher's status.json, validated with the schema the daemon publishes
 * with (daemon/src/publish/schema.ts).
 *
 * Why a plain import + parse and not a content collection: status.json is
 * one snapshot whose parts (generatedAt, components, incidents) must stay
 * together, not a set of independent entries; a collection's persisted
 * data store (.astro/data-store.json) could serve a previous build's entries
 * or mix two snapshots, and parallel builds with different data would share it.
 * Here every build renders exactly the bytes it also copies beside the pages.
 */
import raw from "virtual:guardian/status";
import { parseStatus, type Status } from "../../../daemon/src/publish/schema.js";

export const status: Status = parseStatus(raw, "GUARDIAN_STATUS_JSON");
