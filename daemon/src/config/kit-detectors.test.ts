import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pipelineOverrides } from "../pipeline/pipeline.js";
import { ConfigError, loadConfig } from "./index.js";

function load(detectors: unknown) {
  const cwd = mkdtempSync(path.join(tmpdir(), "guardian-kit-config-"));
  const file = path.join(cwd, "g.json");
  writeFileSync(file, JSON.stringify({ preset: "local", detectors }));
  return loadConfig({ file, env: {}, cwd });
}

function problems(detectors: unknown): readonly string[] {
  try {
    load(detectors);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("the kit detectors' threshold overrides", () => {
  it("are checked and reach the pipeline under its field names", () => {
    const config = load({
      "account-creation": { windowBlocks: 30, severity: { unavailable: "high" } },
      "user-operations": { maxFailureRate: 0.1 },
      delegation: { minFailures: 5 },
      "gas-spike": { mediumRatio: 2.5, severity: { high: "critical" } },
      security: { severity: { trustedRoleRevoked: "high" } },
      outflow: { maxDelegatedValueWei: "5000000000000000000", maxDepositDrainFraction: 0.3 },
    });
    expect(pipelineOverrides(config.detectors)).toMatchObject({
      accountCreation: { windowBlocks: 30, severity: { unavailable: "high" } },
      userOperations: { maxFailureRate: 0.1 },
      delegation: { minFailures: 5 },
      gasSpike: { mediumRatio: 2.5, severity: { high: "critical" } },
      security: { severity: { trustedRoleRevoked: "high" } },
      outflow: { maxDelegatedValueWei: "5000000000000000000", maxDepositDrainFraction: 0.3 },
    });
  });

  it("refuse typos and out-of-range values with the field's path", () => {
    expect(
      problems({
        "account-creation": { windowBlock: 30 },
        "user-operations": { maxFailureRate: 25 },
        "gas-spike": { mediumRatio: 1 },
        outflow: { maxDelegatedValueWei: 10 },
        security: { severity: { unauthorized: "urgent" } },
      }),
    ).toEqual(
      expect.arrayContaining([
        expect.stringContaining('detectors["account-creation"].windowBlock: unknown key'),
        'detectors["user-operations"].maxFailureRate: expected a rate between 0 and 1, got 25',
        'detectors["gas-spike"].mediumRatio: expected a ratio above 1, got 1',
        "detectors.outflow.maxDelegatedValueWei: expected an amount in wei as a decimal string, got 10",
        expect.stringContaining("detectors.security.severity.unauthorized: expected"),
      ]),
    );
  });

  it("are absent when not configured: the detectors' defaults apply, with the preset's gas floor", () => {
    expect(pipelineOverrides(load({}).detectors)).toEqual({ rpcHealth: { stallFactor: 3 }, pauseChanged: {}, gasSpike: { minBaseFeeWei: "1000000000" } });
  });

  it("gas-spike's floors and fullness thresholds: checked, merged over the preset's floor field by field", () => {
    const config = load({ "gas-spike": { minGasPerOp: 50_000, fullnessWindowBlocks: 8, congestedFullness: 0.7, severeFullness: 0.9 } });
    expect(pipelineOverrides(config.detectors).gasSpike).toEqual({ minBaseFeeWei: "1000000000", minGasPerOp: 50_000, fullnessWindowBlocks: 8, congestedFullness: 0.7, severeFullness: 0.9 });
    expect(pipelineOverrides(load({ "gas-spike": { minBaseFeeWei: "0" } }).detectors).gasSpike).toEqual({ minBaseFeeWei: "0" });
    expect(problems({ "gas-spike": { minBaseFeeWei: 1e9, congestedFullness: 80, minGasPerOp: -1 } })).toEqual(
      expect.arrayContaining([
        'detectors["gas-spike"].minBaseFeeWei: expected an amount in wei as a decimal string, got 1000000000',
        'detectors["gas-spike"].congestedFullness: expected a rate between 0 and 1, got 80',
        expect.stringContaining('detectors["gas-spike"].minGasPerOp: expected an amount of gas'),
      ]),
    );
  });
});
