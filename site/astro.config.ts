// `npx astro build --root site` (or `npm exec -- astro build` inside site/):
// the data comes from GUARDIAN_STATUS_JSON, the output goes to site/dist.
// The daemon uses build.ts instead (same configuration).
import { defineConfig } from "astro/config";
import { guardianSiteConfig } from "./config.js";

export default defineConfig(guardianSiteConfig({ statusFile: process.env.GUARDIAN_STATUS_JSON, outDir: process.env.GUARDIAN_SITE_OUT }));
