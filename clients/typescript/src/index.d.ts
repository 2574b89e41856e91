import type { Client } from "openapi-fetch";
import type { paths } from "./schema.js";

export type { components, operations, paths, webhooks } from "./schema.js";

export interface TenderClientOptions {
  /** The gateway, e.g. `https://pay.example.com`. */
  baseUrl: string;
  /** A secret key, `sk_test_...`: servers only. */
  apiKey: string;
  /** Another `fetch` (for tests or a proxy); the global one by default. */
  fetch?: typeof globalThis.fetch;
}

/** A client for every gateway endpoint, typed from its OpenAPI description. */
export function createTenderClient(options: TenderClientOptions): Client<paths>;
