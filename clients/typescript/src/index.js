// The Tender gateway client: openapi-fetch, typed by the paths generated
// from the gateway's OpenAPI description (./schema.d.ts), with the secret
// key on every request and an Idempotency-Key on every POST that lacks one.
// For servers only: a secret key never belongs in a browser.
import createClient from "openapi-fetch";

export function createTenderClient({ baseUrl, apiKey, fetch }) {
  if (!baseUrl || !apiKey) {
    throw new TypeError("createTenderClient needs a baseUrl and an apiKey");
  }
  const client = createClient({
    baseUrl: baseUrl.replace(/\/+$/, ""),
    fetch,
    headers: { Authorization: `Bearer ${apiKey}` },
  });
  client.use({
    onRequest({ request }) {
      if (request.method === "POST" && !request.headers.has("Idempotency-Key")) {
        request.headers.set("Idempotency-Key", globalThis.crypto.randomUUID());
      }
      return request;
    },
  });
  return client;
}
