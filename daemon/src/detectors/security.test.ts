import { describe, expect, test } from "vitest";
import { K, KIT_CONTRACTS, TRUSTED, addr, kitBlock, pos } from "../../../test/daemon/helpers/kit-facts.js";
import type { KitEvent } from "../decode/kit-events.js";
import { HUB_ROLES, SECURITY_DEFAULTS, security, type SecurityFacts } from "./security.js";

const ZERO = addr(0);
const run = (events: KitEvent[], overrides: Partial<SecurityFacts> = {}) =>
  security({ kit: kitBlock(10, { events }), contracts: KIT_CONTRACTS, trusted: TRUSTED, ...overrides }, {}, SECURITY_DEFAULTS).findings;
const at = (i = 0) => pos(10, undefined, i);
const ownership = (kind: "ownership.transferStarted" | "ownership.transferred", contract: `0x${string}`, previousOwner: `0x${string}`, newOwner: `0x${string}`): KitEvent => ({
  kind,
  contract,
  previousOwner,
  newOwner,
  at: at(),
});
const role = (kind: "roles.granted" | "roles.revoked", r: string, account: `0x${string}`, sender: `0x${string}`): KitEvent => ({
  kind,
  contract: K.hub,
  role: HUB_ROLES[r] as `0x${string}`,
  account,
  sender,
  at: at(),
});

describe("security: ownership", () => {
  test("the paymaster moved to an unknown account: Critical, its layer, the contract's key", () => {
    expect(run([ownership("ownership.transferred", K.paymaster, K.deployer, K.stranger)])).toMatchObject([
      {
        detector: "security",
        key: `security:ownership:${K.paymaster}`,
        severity: "critical",
        title: "Ownership of the paymaster moved to an unknown account",
        layers: ["entryPoint"],
        contracts: [K.paymaster],
        evidence: { logIndex: 0, values: { previousOwner: K.deployer, newOwner: K.stranger, pending: false } },
      },
    ]);
  });

  test("a transfer of the DelegationManager started away from the hub: Critical even to a trusted account", () => {
    const findings = run([ownership("ownership.transferStarted", K.dm, K.hub, K.safe)]);
    expect(findings).toMatchObject([{ key: `security:ownership:${K.dm}`, severity: "critical", layers: ["delegation"] }]);
    expect(findings[0]?.summary).toContain("Until accepted it can still be cancelled");
    // Said as it is: a trusted account, not "an unknown account".
    expect(findings[0]?.title).toBe("Ownership transfer of the DelegationManager started to a trusted account other than its expected owner");
    expect(findings[0]?.title + findings[0]!.summary).not.toMatch(/unknown account/);
  });

  test("the DelegationManager handed to the deployer names the deployer; to a stranger it is an unknown account", () => {
    const names = { [K.deployer]: "the deployer", [K.hub]: "the GuardianHub" };
    const toDeployer = run([ownership("ownership.transferred", K.dm, K.hub, K.deployer)], { trustedNames: names });
    expect(toDeployer).toMatchObject([{ severity: "critical", title: "Ownership of the DelegationManager moved to a trusted account other than its expected owner", evidence: { values: { trusted: true } } }]);
    expect(toDeployer[0]?.summary).toContain(`to ${K.deployer} (the deployer), a trusted account but not its expected owner (${K.hub} (the GuardianHub))`);
    const toStranger = run([ownership("ownership.transferred", K.dm, K.hub, K.stranger)]);
    expect(toStranger[0]?.title).toBe("Ownership of the DelegationManager moved to an unknown account");
    // The severity is the operator's to choose.
    const high = security(
      { kit: kitBlock(10, { events: [ownership("ownership.transferred", K.dm, K.hub, K.deployer)] }), contracts: KIT_CONTRACTS, trusted: TRUSTED },
      {},
      { severity: { ...SECURITY_DEFAULTS.severity, ownerNotExpected: "high" } },
    ).findings;
    expect(high[0]?.severity).toBe("high");
  });

  test("renouncing ownership is Critical", () => {
    expect(run([ownership("ownership.transferred", K.factory, K.deployer, ZERO)])).toMatchObject([{ severity: "critical", title: "Ownership of the account factory renounced", layers: ["accountFactory"] }]);
  });

  test("the deployment's own changes are expected: constructors, the hub taking the DelegationManager", () => {
    expect(
      run([
        ownership("ownership.transferred", K.dm, ZERO, K.deployer), // the kit's constructor
        ownership("ownership.transferStarted", K.dm, K.deployer, K.hub),
        ownership("ownership.transferred", K.dm, K.deployer, K.hub),
        ownership("ownership.transferred", K.paymaster, ZERO, K.deployer),
        ownership("ownership.transferred", K.paymaster, K.deployer, K.deployer),
        { kind: "hub.targetOwnershipAccepted", hub: K.hub, target: K.dm, at: at() },
      ]),
    ).toEqual([]);
  });
});

describe("security: roles", () => {
  test("GUARDIAN_ROLE granted to an unknown account: Critical, all layers, the hub's key", () => {
    expect(run([role("roles.granted", "GUARDIAN_ROLE", K.stranger, K.deployer)])).toMatchObject([
      { key: `security:roles:${K.hub}`, severity: "critical", layers: ["entryPoint", "accountFactory", "delegation"], evidence: { values: { role: "GUARDIAN_ROLE", account: K.stranger } } },
    ]);
  });

  test("a new sentinel granted by the trusted Safe is High; by an unknown sender Critical", () => {
    expect(run([role("roles.granted", "SENTINEL_ROLE", K.stranger, K.safe)])[0]?.severity).toBe("high");
    expect(run([role("roles.granted", "SENTINEL_ROLE", K.stranger, K.bob)])[0]?.severity).toBe("critical");
    expect(run([role("roles.granted", "GUARDIAN_ROLE", K.safe, K.bob)])[0]).toMatchObject({ severity: "critical", title: "GUARDIAN_ROLE granted to a trusted account by an unknown one" });
  });

  test("revocations: of a trusted account Medium, by an unknown sender Critical, cleaning up an unknown one nothing", () => {
    expect(run([role("roles.revoked", "GUARDIAN_ROLE", K.safe, K.deployer)])[0]).toMatchObject({ severity: "medium", title: "GUARDIAN_ROLE taken from a trusted account" });
    expect(run([role("roles.revoked", "GUARDIAN_ROLE", K.safe, K.bob)])[0]?.severity).toBe("critical");
    expect(run([role("roles.revoked", "GUARDIAN_ROLE", K.stranger, K.deployer)])).toEqual([]);
  });

  test("the hub's constructor grants and role admin are expected; another role admin is Critical", () => {
    expect(
      run([
        role("roles.granted", "DEFAULT_ADMIN_ROLE", K.deployer, K.deployer),
        role("roles.granted", "GUARDIAN_ROLE", K.safe, K.deployer),
        { kind: "roles.adminChanged", contract: K.hub, role: HUB_ROLES.SENTINEL_ROLE as `0x${string}`, previousAdminRole: HUB_ROLES.DEFAULT_ADMIN_ROLE as `0x${string}`, newAdminRole: HUB_ROLES.GUARDIAN_ROLE as `0x${string}`, at: at() },
        role("roles.granted", "SENTINEL_ROLE", K.sentinel, K.safe),
      ]),
    ).toEqual([]);
    expect(
      run([{ kind: "roles.adminChanged", contract: K.hub, role: HUB_ROLES.GUARDIAN_ROLE as `0x${string}`, previousAdminRole: HUB_ROLES.DEFAULT_ADMIN_ROLE as `0x${string}`, newAdminRole: HUB_ROLES.SENTINEL_ROLE as `0x${string}`, at: at() }])[0]?.severity,
    ).toBe("critical");
  });
});

describe("security: upgrades, wiring, stake", () => {
  test("an upgrade to an unknown implementation is Critical; a trusted one is not", () => {
    const upgraded: KitEvent = { kind: "proxy.upgraded", contract: K.paymaster, implementation: K.bob, at: at() };
    expect(run([upgraded])).toMatchObject([{ key: `security:upgrade:${K.paymaster}`, severity: "critical", title: "The paymaster upgraded unexpectedly" }]);
    expect(run([upgraded], { trustedImplementations: [K.bob] })).toEqual([]);
    expect(run([{ kind: "proxy.adminChanged", contract: K.dm, previousAdmin: K.deployer, newAdmin: K.stranger, at: at() }])[0]).toMatchObject({ severity: "critical", layers: ["delegation"] });
  });

  test("a layer wired to an unknown contract is Critical, unwired High, its known target nothing", () => {
    const wired = (layerId: number, layer: "entryPoint" | "accountFactory" | "delegation", targets: `0x${string}`[]): KitEvent => ({ kind: "hub.layerTargetsSet", hub: K.hub, layerId, layer, targets, at: at() });
    expect(run([wired(0, "entryPoint", [K.paymaster]), wired(1, "accountFactory", [K.factory]), wired(2, "delegation", [K.dm])])).toEqual([]);
    expect(run([wired(2, "delegation", [K.stranger])])).toMatchObject([{ key: `security:wiring:${K.hub}`, severity: "critical", layers: ["delegation"], contracts: [K.hub, K.stranger] }]);
    expect(run([wired(1, "accountFactory", [K.paymaster])])[0]?.severity).toBe("critical"); // a known contract on the wrong layer
    expect(run([wired(0, "entryPoint", [])])[0]).toMatchObject({ severity: "high", title: "entryPoint layer unwired" });
  });

  test("the paymaster's stake unlocked is High; other accounts' stake is none of Guardian's business", () => {
    expect(run([{ kind: "ep.stakeUnlocked", account: K.paymaster, withdrawTime: "123", at: at() }])).toMatchObject([
      { key: `security:stake:${K.paymaster}`, severity: "high", title: "The paymaster unstaking", layers: ["entryPoint"] },
    ]);
    expect(run([{ kind: "ep.stakeWithdrawn", account: K.factory, withdrawAddress: K.deployer, amount: "1", at: at() }])[0]?.severity).toBe("high");
    expect(run([{ kind: "ep.stakeUnlocked", account: K.bob, withdrawTime: "1", at: at() }])).toEqual([]);
  });
});
