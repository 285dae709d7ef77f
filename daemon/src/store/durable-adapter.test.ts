import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { DurableJsonFile, nodeFs, type DurableFs } from "./durable-adapter.js";
import { StoreCorruptError, StoreVersionError } from "./errors.js";
import { tempDir } from "./testing/spawn.js";

const schema = z.strictObject({ schemaVersion: z.literal(2), items: z.array(z.number()) });
type Doc = z.output<typeof schema>;

/** The real fs, recording each call. */
function recordingFs(log: string[], fail?: { rename?: boolean }): DurableFs {
  return {
    readFile: (file, enc) => nodeFs.readFile(file, enc),
    async open(file, flags, mode) {
      log.push(`open ${path.basename(file)} ${flags}`);
      const handle = await nodeFs.open(file, flags, mode);
      return {
        writeFile: async (data, enc) => {
          log.push(`write ${path.basename(file)}`);
          await handle.writeFile(data, enc);
        },
        sync: async () => {
          log.push(`fsync ${path.basename(file)}`);
          await handle.sync();
        },
        close: async () => {
          log.push(`close ${path.basename(file)}`);
          await handle.close();
        },
      };
    },
    async rename(from, to) {
      log.push(`rename ${path.basename(from)} → ${path.basename(to)}`);
      if (fail?.rename) throw Object.assign(new Error("EIO: simulated"), { code: "EIO" });
      await nodeFs.rename(from, to);
    },
  };
}

describe("DurableJsonFile", () => {
  it("writes temp file, fsyncs it, renames, fsyncs the directory — in that order", async () => {
    const dir = tempDir();
    const log: string[] = [];
    const file = new DurableJsonFile<Doc>(path.join(dir, "s.json"), { schema, version: 2, fs: recordingFs(log) });
    await file.write({ schemaVersion: 2, items: [1] });
    expect(log).toEqual([
      "open .s.json.tmp w",
      "write .s.json.tmp",
      "fsync .s.json.tmp",
      "close .s.json.tmp",
      "rename .s.json.tmp → s.json",
      `open ${path.basename(dir)} r`,
      `fsync ${path.basename(dir)}`,
      `close ${path.basename(dir)}`,
    ]);
    expect(await file.read()).toEqual({ schemaVersion: 2, items: [1] });
    expect(readdirSync(dir)).toEqual(["s.json"]);
  });

  it("leaves the old file intact when the write fails before the rename", async () => {
    const dir = tempDir();
    const target = path.join(dir, "s.json");
    writeFileSync(target, JSON.stringify({ schemaVersion: 2, items: [7] }));
    const file = new DurableJsonFile<Doc>(target, { schema, version: 2, fs: recordingFs([], { rename: true }) });
    await expect(file.write({ schemaVersion: 2, items: [8] })).rejects.toThrow(/simulated/);
    expect(JSON.parse(readFileSync(target, "utf8"))).toEqual({ schemaVersion: 2, items: [7] });
  });

  it("returns null for a missing file", async () => {
    expect(await new DurableJsonFile(path.join(tempDir(), "none.json"), { schema, version: 2 }).read()).toBeNull();
  });

  it.each([
    ["not JSON", "{ schemaVersion: 2", /not valid JSON/],
    ["truncated", '{"schemaVersion":2,"items":[1,', /not valid JSON/],
    ["not an object", "[1,2]", /expected a JSON object at the top level/],
    ["no version", '{"items":[]}', /schemaVersion: expected a non-negative integer, got nothing/],
    ["wrong shape", '{"schemaVersion":2,"items":["a"],"x":1}', /items\[0\]: expected a number, got "a"[\s\S]*x: unknown key/],
  ])("refuses a corrupt file (%s), naming it, and never touches it", async (_label, text, reason) => {
    const dir = tempDir();
    const target = path.join(dir, "s.json");
    writeFileSync(target, text);
    const before = readFileSync(target);
    const file = new DurableJsonFile<Doc>(target, { schema, version: 2 });
    const error = await file.read().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreCorruptError);
    expect((error as StoreCorruptError).file).toBe(target);
    expect((error as Error).message).toContain(target);
    expect((error as Error).message).toMatch(reason);
    expect((error as Error).message).toMatch(/Guardian left it untouched/);
    expect(readFileSync(target).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(["s.json"]);
  });

  it("refuses a newer schema version clearly", async () => {
    const target = path.join(tempDir(), "s.json");
    writeFileSync(target, '{"schemaVersion":3,"items":[]}');
    await expect(new DurableJsonFile<Doc>(target, { schema, version: 2 }).read()).rejects.toThrow(
      new StoreVersionError(target, 3, 2),
    );
    await expect(new DurableJsonFile<Doc>(target, { schema, version: 2 }).read()).rejects.toThrow(/knows versions up to 2: upgrade Guardian/);
  });

  it("migrates an older version through the migrations table", async () => {
    const target = path.join(tempDir(), "s.json");
    writeFileSync(target, '{"schemaVersion":0,"list":[1]}');
    const migrations = {
      0: (d: Record<string, unknown>) => ({ schemaVersion: 1, items: d.list }),
      1: (d: Record<string, unknown>) => ({ ...d, schemaVersion: 2 }),
    };
    const file = new DurableJsonFile<Doc>(target, { schema, version: 2, migrations });
    expect(await file.read()).toEqual({ schemaVersion: 2, items: [1] });
    expect(file.migratedFrom).toBe(0);
    await expect(new DurableJsonFile<Doc>(target, { schema, version: 2, migrations: { 1: migrations[1] } }).read()).rejects.toThrow(
      /no migration leads from version 0 to 1/,
    );
  });
});
