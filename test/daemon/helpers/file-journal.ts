import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { PauseJournal, PauseJournalEntry } from "../../../daemon/src/respond/pause-sender.js";

/** A journal in one JSON file, written before the function returns (what the store does for the daemon). */
export function fileJournal(file: string): PauseJournal {
  const all = (): Record<string, PauseJournalEntry> => (existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {});
  return {
    async get(key) {
      return all()[key];
    },
    async put(entry) {
      const next = { ...all(), [entry.incidentKey]: entry };
      writeFileSync(file, JSON.stringify(next));
    },
  };
}

