export { startAdminServer, MAX_BODY_BYTES, type AdminServer, type StartAdminServerParameters, type AdminLogger } from "./server.js";
export { createAdminClient, AdminRequestError, AdminUnreachableError, type AdminClient, type AdminClientParameters } from "./client.js";
export { createStoreIncidentService, type IncidentChange, type StoreIncidentServiceParameters } from "./operations.js";
export {
  ackRequestSchema,
  triggerRequestSchema,
  updateRequestSchema,
  type AckRequest,
  type AckResult,
  type IncidentService,
  type TriggerRequest,
  type UpdateRequest,
} from "./protocol.js";
