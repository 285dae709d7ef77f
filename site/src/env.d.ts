/// <reference types="astro/client" />

declare module "virtual:guardian/status" {
  /** The raw status.json of the build's snapshot (parse it with the shared schema). */
  const status: unknown;
  export default status;
}
