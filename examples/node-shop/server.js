// A Tender shop in Node, the twin of crates/merchant: POST /api/checkout
// makes an order and its Checkout Session, POST /webhooks/tender verifies
// and applies the gateway's events, GET /api/orders/:id says where an order
// is. Orders live in memory: a real shop keeps them in its database, and
// event ids under a unique constraint.
import { randomUUID } from "node:crypto";

import { createTenderClient } from "@tender/client";
import express from "express";
import { Webhook } from "standardwebhooks";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const port = Number(process.env.PORT ?? 3000);
const publicUrl = (process.env.PUBLIC_URL ?? `http://127.0.0.1:${port}`).replace(/\/+$/, "");
const tender = createTenderClient({ baseUrl: env("TENDER_GATEWAY_URL"), apiKey: env("TENDER_API_KEY") });
const webhook = new Webhook(env("TENDER_WEBHOOK_SECRET"));

const orders = new Map();
const applied = new Set();
// Where an order goes on each event; it only ever moves forward.
const STEPS = { awaiting_payment: 0, expired: 1, paid: 2 };
const MOVES = { "session.paid": "paid", "session.completed": "paid", "session.expired": "expired" };

const app = express();

app.post("/api/checkout", express.json(), async (req, res) => {
  const { productId, quantity = 1 } = req.body ?? {};
  if (typeof productId !== "string" || !Number.isInteger(quantity) || quantity < 1 || quantity > 100) {
    return res.status(400).json({ error: { message: "productId (a string) and quantity (1 to 100) are needed" } });
  }
  const orderId = `ord_${randomUUID().replaceAll("-", "")}`;
  const { data, error, response } = await tender.POST("/v1/checkout/sessions", {
    body: {
      productId,
      quantity,
      metadata: { order_id: orderId },
      successUrl: `${publicUrl}/success.html?order=${orderId}`,
      cancelUrl: `${publicUrl}/`,
    },
    // The order id is the idempotency key: a retry cannot make a second session.
    headers: { "Idempotency-Key": orderId },
  });
  if (error) {
    return res.status(response.status < 500 ? 400 : 502).json(error);
  }
  orders.set(orderId, { orderId, status: "awaiting_payment", sessionId: data.id });
  res.json({ orderId, paymentUrl: data.paymentUrl });
});

app.get("/api/orders/:id", (req, res) => {
  const order = orders.get(req.params.id);
  if (!order) return res.status(404).json({ error: { message: "No such order" } });
  res.json(order);
});

// The raw body: the signature is over the exact bytes sent.
app.post("/webhooks/tender", express.raw({ type: "application/json" }), (req, res) => {
  let event;
  try {
    event = webhook.verify(req.body.toString("utf8"), req.headers);
  } catch {
    return res.status(400).json({ error: { message: "webhook signature or timestamp did not verify" } });
  }
  if (applied.has(event.id) || event.test) return res.sendStatus(200);
  applied.add(event.id);
  const session = event.data?.session;
  const order = orders.get(session?.metadata?.order_id);
  const next = MOVES[event.type];
  if (order && order.sessionId === session.id && next && STEPS[next] > STEPS[order.status]) {
    order.status = next;
    order.txHash = session.payments?.find((p) => p.txHash)?.txHash;
    console.log(`order ${order.orderId} ${next} (${event.type} ${event.id})`);
  }
  res.sendStatus(200);
});

app.listen(port, "127.0.0.1", (error) => {
  if (error) throw error;
  console.log(`node shop listening on 127.0.0.1:${port}`);
});
