/**
 * Status → every published file, as (path, content) pairs. Pure. Each
 * Statuspage document is checked against its schema here, so nothing that
 * existing tooling would misread is ever written.
 */
import { badges } from "./badges.js";
import { atomFeed, componentFeedPath, FEED_PATH } from "./feed.js";
import { statusWidget, WIDGET_PATH } from "./widget.js";
import { statusSchema, type Status } from "./schema.js";
import { statuspageDocuments } from "./statuspage.js";
import { STATUSPAGE_FILES } from "./statuspage-schema.js";

/** The rich document's path beside the pages. */
export const STATUS_PATH = "status.json";

export interface PublishedFile {
  /** Relative to the site root, "/"-separated. */
  path: string;
  content: string;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Every file Guardian publishes beside the status pages. `status.json` comes
 * last: a reader that sees a new `status.json` finds the derived files of the
 * same snapshot already in place.
 */
export function renderStatusFiles(status: Status): PublishedFile[] {
  const checked = statusSchema.parse(status);
  const files: PublishedFile[] = [];
  const documents = statuspageDocuments(checked);
  for (const [path, schema] of Object.entries(STATUSPAGE_FILES) as Array<[keyof typeof documents, (typeof STATUSPAGE_FILES)[keyof typeof STATUSPAGE_FILES]]>) {
    files.push({ path, content: json(schema.parse(documents[path])) });
  }
  files.push({ path: FEED_PATH, content: atomFeed(checked) });
  for (const component of checked.components) files.push({ path: componentFeedPath(component.id), content: atomFeed(checked, { component: component.id }) });
  files.push({ path: WIDGET_PATH, content: json(statusWidget(checked)) });
  for (const [path, badge] of badges(checked)) files.push({ path, content: json(badge) });
  files.push({ path: STATUS_PATH, content: json(checked) });
  return files;
}
