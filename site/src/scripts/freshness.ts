/**
 * Never silently stale: once the data is older than STALE_INTERVALS times
 * the publisher's interval, the page says "Status unknown" instead of the
 * last known status. Runs at load and every 30 s (a tab left open goes stale
 * too). Without JavaScript the printed "data as of" line is all there is.
 */

/** Intervals the data may be late before it counts as unknown (one missed publish is not an outage of the publisher). */
export const STALE_INTERVALS = 3;
const RECHECK_MS = 30_000;

/** "3 minutes", "2 hours", "5 days". */
export function ageText(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 120) return `${minutes} ${minutes === 1 ? "minute" : "minutes"}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} hours`;
  return `${Math.floor(hours / 24)} days`;
}

export function isStale(generatedAt: string | undefined, intervalSeconds: number, nowMs: number): boolean {
  const at = Date.parse(generatedAt ?? "");
  if (!Number.isFinite(at) || !(intervalSeconds > 0)) return true;
  return nowMs - at > STALE_INTERVALS * intervalSeconds * 1000;
}

function markStale(doc: Document, ageMs: number): void {
  const root = doc.documentElement;
  const text = doc.getElementById("stale-text");
  if (text)
    text.textContent = Number.isFinite(ageMs)
      ? `The newest data is ${ageText(ageMs)} old: Guardian's publisher may have stopped.`
      : "The data carries no valid time.";
  if (root.classList.contains("is-stale")) return;
  root.classList.add("is-stale");
  const notice = doc.getElementById("stale");
  if (notice) notice.hidden = false;

  const banner = doc.getElementById("banner");
  if (banner) {
    banner.className = "banner t-unknown";
    banner.dataset.indicator = "unknown";
    banner.querySelector("use")?.setAttribute("href", "#i-unknown");
    const heading = banner.querySelector("h1");
    if (heading) heading.textContent = "Status unknown";
  }
  for (const badge of Array.from(doc.querySelectorAll<HTMLElement>("[data-live]"))) {
    const label = badge.querySelector(".badge-text");
    const last = label?.textContent ?? "";
    badge.className = "badge t-unknown";
    badge.querySelector("use")?.setAttribute("href", "#i-unknown");
    if (label) label.textContent = `Unknown (last known: ${last.toLowerCase()})`;
  }
  doc.title = `Status unknown · ${doc.title.split(" · ").slice(1).join(" · ") || doc.title}`;
}

export function watchFreshness(doc: Document): void {
  const root = doc.documentElement;
  const check = (): void => {
    const interval = Number(root.dataset.interval);
    const generatedAt = root.dataset.generatedAt;
    if (isStale(generatedAt, interval, Date.now())) markStale(doc, Date.now() - Date.parse(generatedAt ?? ""));
  };
  check();
  setInterval(check, RECHECK_MS);
}
