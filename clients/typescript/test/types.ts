// Compiled by `cargo xtask test` (tsc --noEmit): the generated types hold
// what the gateway takes and gives, so a wrong call does not compile.
import { createTenderClient, type components } from "../src/index.js";

const tender = createTenderClient({ baseUrl: "http://127.0.0.1:8080", apiKey: "sk_test_x" });

export async function makeSession(): Promise<string> {
  const { data, error } = await tender.POST("/v1/checkout/sessions", {
    body: { productId: "prod_tshirt", quantity: 2, successUrl: "https://shop.example/ok" },
  });
  if (error) throw new Error(error.error.message);
  const session: components["schemas"]["Session"] = data;
  return session.paymentUrl;
}

export async function cart(): Promise<void> {
  await tender.POST("/v1/checkout/sessions", {
    body: {
      lineItems: [
        { productId: "prod_tshirt", quantity: 2 },
        { productData: { name: "Gift wrap", price: { amount: "3.00", currency: "USD" } } },
      ],
      locale: "ja",
      successUrl: "https://shop.example/ok",
    },
  });
}

export async function wrongCalls(): Promise<void> {
  await tender.POST("/v1/checkout/sessions", {
    // @ts-expect-error a quantity is a number
    body: { productId: "prod_tshirt", quantity: "2", successUrl: "https://shop.example/ok" },
  });
  await tender.POST("/v1/checkout/sessions", {
    // @ts-expect-error a session sells something: productId, productData or lineItems
    body: { successUrl: "https://shop.example/ok" },
  });
  await tender.POST("/v1/checkout/sessions", {
    // @ts-expect-error the cashier speaks seven languages
    body: { productId: "prod_tshirt", locale: "xx", successUrl: "https://shop.example/ok" },
  });
  // @ts-expect-error no such path
  await tender.GET("/v1/no-such-thing");
  await tender.GET("/v1/checkout/sessions/{id}", {
    // @ts-expect-error the path's id is required
    params: { path: {} },
  });
}

// The webhooks are typed too: what a receiver gets for `session.paid`.
type Paid =
  import("../src/index.js").webhooks["session.paid"]["post"]["requestBody"]["content"]["application/json"];
export function orderOf(event: Paid): string | undefined {
  return event.data.session?.metadata?.["order_id"];
}
