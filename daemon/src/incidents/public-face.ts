/**
 * The public face of an incident. Pure.
 *
 * Every incident has two faces. The internal one (detector title, addresses,
 * causes, evidence) is for the CLI, the responders' notifications and the
 * post-mortem. The public one is written for users from a template per
 * symptom ("Creating new smart accounts is failing"): never detector jargon,
 * an attacker's address or text that came from the chain.
 *
 * Security incidents (ownership, roles, upgrades, wiring, stake, outflows,
 * pauses made outside Guardian, Guardian's own ability to pause) are not
 * published at all until a Security Lead or CTO approves the disclosure
 * (`approveDisclosure`, from `guardian incident publish`): until then the
 * status page shows only their components' status, which is always
 * automatic. Operational incidents publish at once.
 */
import type { Incident, Layer } from "../types.js";
import { InvalidDisclosureError } from "./errors.js";
import { timelineEntryId } from "./ids.js";
import { addTimelineEntry } from "./lifecycle.js";
import { LAYER_PUBLIC_NAME } from "./own-pause.js";

export type IncidentClass = "security" | "operational";

export interface PublicFace {
  class: IncidentClass;
  /** The public title. */
  title: string;
  /** The public opening update (replaces the internal opening entry). */
  opening: string;
}

/** Key prefixes (detector:kind) of security incidents. */
const SECURITY_KEYS = [/^security:/, /^outflow:/, /^pause-changed:foreign-/, /^pause-ability:/];

interface Template {
  match: RegExp;
  title: (c: string) => string;
  opening: (c: string) => string;
}

/** Operational templates, first match wins; `c` is the affected components in words. */
const TEMPLATES: readonly Template[] = [
  { match: /^account-creation:|^probes:creation/, title: () => "Creating new smart accounts is failing", opening: () => "Some attempts to create a new smart account are failing. We are investigating." },
  { match: /^user-operations:|^probes:sponsored/, title: () => "Some sponsored transactions are failing", opening: () => "Some sponsored transactions are failing. We are investigating." },
  { match: /^delegation:|^probes:delegation/, title: () => "Some delegation redemptions are failing", opening: () => "Some delegation redemptions are failing. We are investigating." },
  { match: /^gas-spike:/, title: () => "Network fees are higher than usual", opening: () => "Network fees are higher than usual: transactions may cost more or take longer to confirm." },
  { match: /^rpc-health:(chain-)?stall/, title: () => "The network is not confirming transactions", opening: () => "The network has stopped producing new blocks: transactions are not being confirmed. We are monitoring it." },
  { match: /^rpc-health:|^probes:bundler|^probes:latency/, title: () => "Status updates may be delayed", opening: () => "Our connection to the network is degraded: this page may lag behind. Service itself may be unaffected." },
  { match: /^chain-reorg:/, title: () => "Recent blocks were reorganised", opening: () => "The network replaced some recent blocks: recently confirmed transactions may be confirmed again in a later block." },
  { match: /^pause-changed:layer:/, title: (c) => `${c} paused`, opening: (c) => `${c} ${plural(c) ? "are" : "is"} paused while we investigate.` },
];

const SECURITY_TITLE = (c: string) => (c ? `Security incident affecting ${lower(c)}` : "Security incident");
const SECURITY_OPENING = (c: string) =>
  `We are investigating a security issue${c ? ` affecting ${lower(c)}` : ""}. Affected services may be paused to protect users; we will post updates here.`;

/** The affected components in words ("Gas sponsorship and delegation redemption"). */
export function componentWords(layers: readonly Layer[]): string {
  const names = layers.map((l, i) => (i === 0 ? LAYER_PUBLIC_NAME[l] : lower(LAYER_PUBLIC_NAME[l])));
  if (names.length <= 1) return names[0] ?? "";
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

export function incidentClass(incident: Pick<Incident, "key" | "source">): IncidentClass {
  return SECURITY_KEYS.some((re) => re.test(incident.key)) ? "security" : "operational";
}

/**
 * The public face: a manual incident keeps what the operator typed (title
 * and opening message, refused at input if they hold control characters);
 * a detector's incident gets its symptom's template; one no template knows
 * gets a sentence about its components.
 */
export function publicFace(incident: Pick<Incident, "key" | "source" | "title" | "affected" | "timeline">): PublicFace {
  const c = componentWords(incident.affected.layers);
  if (incidentClass(incident) === "security") return { class: "security", title: SECURITY_TITLE(c), opening: SECURITY_OPENING(c) };
  if (incident.source === "manual") {
    const opened = incident.timeline.find((e) => e.kind === "opened");
    return { class: "operational", title: incident.title, opening: opened?.message ?? incident.title };
  }
  const template = TEMPLATES.find((t) => t.match.test(incident.key));
  if (template) return { class: "operational", title: template.title(c || "A service"), opening: template.opening(c || "A service") };
  return {
    class: "operational",
    title: c ? `${c} degraded` : "Degraded service",
    opening: `${c || "Part of the service"} ${plural(c) ? "are" : "is"} not working as expected. We are investigating.`,
  };
}

/** Whether the incident may appear on the status page: operational ones always, security ones once a disclosure was approved. */
export function isDisclosed(incident: Pick<Incident, "key" | "source" | "disclosure">): boolean {
  return incidentClass(incident) === "operational" || incident.disclosure !== undefined;
}

export interface ApproveDisclosure {
  /** The approver's name, as configured. */
  by: string;
  /** Who may approve: the configured Security Lead, CTO and backups. */
  approvers: ReadonlyArray<{ name: string; role: "securityLead" | "cto" }>;
  /** A public statement to publish with it (a public update); without one the incident opens with the security template's words. */
  message?: string;
  now: Date;
}

/**
 * Approves a security incident's public disclosure: records who and when,
 * and adds the public statement, when given, as a public update. Refused for
 * anyone not configured as Security Lead or CTO (or their backups), and for
 * operational incidents (they are public already). Approving again only adds
 * the message, if one is given.
 *
 * @throws InvalidDisclosureError
 */
export function approveDisclosure(incident: Readonly<Incident>, request: ApproveDisclosure): Incident {
  const approver = request.approvers.find((a) => a.name.trim().toLowerCase() === request.by.trim().toLowerCase());
  if (!approver) {
    throw new InvalidDisclosureError(
      request.approvers.length === 0
        ? "no Security Lead or CTO is configured (config roles.securityLead, roles.cto): nobody may approve a disclosure"
        : `--by: ${JSON.stringify(request.by)} is not a configured Security Lead or CTO (expected one of: ${request.approvers.map((a) => a.name).join(", ")})`,
    );
  }
  if (incidentClass(incident) !== "security")
    throw new InvalidDisclosureError(`incident ${incident.id} is operational: it is published automatically, there is nothing to approve`);
  const at = request.now.toISOString();
  let next: Incident = incident.disclosure ? { ...incident } : { ...incident, disclosure: { at, by: approver.name, role: approver.role }, updatedAt: at };
  if (request.message !== undefined) {
    next = addTimelineEntry(next, { id: timelineEntryId(incident.id, "disclosure", at), kind: "note", message: request.message, public: true, by: approver.name }, request.now);
  }
  return next;
}

function plural(words: string): boolean {
  return / and /.test(words);
}

function lower(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
