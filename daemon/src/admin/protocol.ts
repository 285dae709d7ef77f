/**
 * The admin endpoint's requests (JSON bodies), shared by the server (which
 * validates them) and the client. All routes need `Authorization: Bearer <token>`.
 *
 *     GET  /v1/health                    → { ok: true, pid }
 *     GET  /v1/incidents                 → { incidents: Incident[] }
 *     GET  /v1/incidents/:id             → { incident }
 *     POST /v1/incidents                 TriggerRequest → 201 { incident }
 *     POST /v1/incidents/:id/state       UpdateRequest  → { incident }
 *     POST /v1/incidents/:id/ack         AckRequest     → { incident, alreadyAcknowledged }
 *     POST /v1/incidents/:id/publish     PublishRequest → { incident }
 *
 * Errors: { error: { name, message } } with 400 (invalid request), 401, 403,
 * 404 (IncidentNotFoundError, unknown route), 409 (InvalidTransitionError,
 * InvalidDisclosureError),
 * 413, 415, 500.
 */
import * as z from "zod";
import { addressSchema } from "../config/schema.js";
import { unsafeCharacter } from "../decode/untrusted-text.js";
import { INCIDENT_STATES, LAYERS, SEVERITIES, type Address, type Incident } from "../types.js";

/**
 * Text an operator types that others read (titles and messages reach the
 * status page, notifications and terminals; names reach notifications):
 * refused when it holds a control, bidi or zero-width character, naming the
 * character and where it is. With `lines` (public messages), line breaks
 * are allowed: an update may be several lines.
 */
export function operatorText(schema: z.ZodString, options: { lines?: boolean } = {}): z.ZodString {
  return schema.superRefine((value, ctx) => {
    const bad = unsafeCharacter(value, options);
    if (bad)
      ctx.addIssue({
        code: "custom",
        message: `expected text without control, bidi or zero-width characters (found ${bad.codePoint}, ${bad.name}, at character ${bad.index + 1})`,
        input: value,
      });
  });
}

const address = addressSchema as unknown as z.ZodType<Address, string>;
const person = operatorText(z.string().trim().min(1).max(100));

export const triggerRequestSchema = z.strictObject({
  title: operatorText(z.string().trim().min(1).max(200)),
  severity: z.enum(SEVERITIES),
  layers: z.array(z.enum(LAYERS)).default([]),
  contracts: z.array(address).default([]),
  /** The public opening message; default the title. */
  message: operatorText(z.string().trim().min(1).max(2000), { lines: true }).optional(),
  by: person.optional(),
});
export type TriggerRequest = z.input<typeof triggerRequestSchema>;

export const updateRequestSchema = z.strictObject({
  state: z.enum(INCIDENT_STATES),
  message: operatorText(z.string().trim().min(1).max(2000), { lines: true }).optional(),
  /** Keep the entry off the status page. */
  private: z.boolean().optional(),
  by: person.optional(),
});
export type UpdateRequest = z.input<typeof updateRequestSchema>;

export const ackRequestSchema = z.strictObject({ by: person });
export type AckRequest = z.input<typeof ackRequestSchema>;

/** A security incident's disclosure, approved by `by` (who must be a configured Security Lead or CTO). */
export const publishRequestSchema = z.strictObject({
  by: person,
  /** A public statement published with it. */
  message: operatorText(z.string().trim().min(1).max(2000), { lines: true }).optional(),
});
export type PublishRequest = z.input<typeof publishRequestSchema>;

export interface AckResult {
  incident: Incident;
  /** true if it was already acknowledged (nothing changed). */
  alreadyAcknowledged: boolean;
}

/** Incident writes, the same whether they go to the store directly or through the daemon. */
export interface IncidentService {
  /** Opens a manual incident (random UUID). */
  trigger(request: TriggerRequest): Promise<Incident>;
  /** @throws IncidentNotFoundError | InvalidTransitionError (or AdminRequestError 404/409 remotely) */
  update(id: string, request: UpdateRequest): Promise<Incident>;
  /** @throws IncidentNotFoundError (or AdminRequestError 404 remotely) */
  acknowledge(id: string, request: AckRequest): Promise<AckResult>;
  /** @throws IncidentNotFoundError | InvalidDisclosureError (or AdminRequestError 404/409 remotely) */
  publish(id: string, request: PublishRequest): Promise<Incident>;
}
