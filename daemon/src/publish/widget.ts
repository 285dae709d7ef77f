/**
 * Status → a small JSON for dApps to embed ("widget.json"): the overall
 * status and each component's, nothing else, with how long it may be cached.
 * Pure. A dApp polls it (or its CDN copy) instead of the whole status.json.
 */
import type { ComponentId, ComponentStatus, Indicator, Status } from "./schema.js";

export const WIDGET_PATH = "widget.json";

export interface StatusWidget {
  schemaVersion: 1;
  page: { name: string; url: string | null };
  status: { indicator: Indicator; description: string };
  components: Array<{ id: ComponentId; name: string; status: ComponentStatus }>;
  /** When the data was built (UTC); older than 3 × expectedIntervalSeconds means unknown. */
  generatedAt: string;
  expectedIntervalSeconds: number;
  /** How long a cache may serve it: one publication interval. */
  cacheSeconds: number;
}

export function statusWidget(status: Status): StatusWidget {
  return {
    schemaVersion: 1,
    page: { name: status.page.name, url: status.page.url },
    status: { indicator: status.overall.indicator, description: status.overall.description },
    components: status.components.map((c) => ({ id: c.id, name: c.name, status: c.status })),
    generatedAt: status.generatedAt,
    expectedIntervalSeconds: status.expectedIntervalSeconds,
    cacheSeconds: status.expectedIntervalSeconds,
  };
}
