//! One method per gateway endpoint, each a typed request and answer.

use tender_protocol::{AccountSettings, CreateRefund, Refund, RefundId, RefundListParams};
use tender_protocol::{
    ApiKey, CreateApiKey, CreateProduct, CreateSession, CreateWebhookEndpoint, Event, EventDetails,
    EventListParams, IdempotencyKey, List, ListParams, Product, ProductId, Redeliver, RotateSecret,
    Session, SessionId, SessionListParams, SettlementDestination, WebhookEndpoint,
};
use tender_protocol::{Overview, OverviewParams, SettlementOption, TriggerEvent};

use crate::{Client, Error};

impl Client {
    /// `POST /v1/checkout/sessions`.
    pub async fn create_session(&self, body: &CreateSession) -> Result<Session, Error> {
        self.post("v1/checkout/sessions".into(), body, None).await
    }

    /// `POST /v1/checkout/sessions` with your own idempotency key (an order
    /// id, say), so that repeating the call for the same order can never
    /// create a second session.
    pub async fn create_session_idempotent(
        &self,
        body: &CreateSession,
        key: &IdempotencyKey,
    ) -> Result<Session, Error> {
        self.post("v1/checkout/sessions".into(), body, Some(key.as_str()))
            .await
    }

    /// `GET /v1/checkout/sessions/{id}`: the authoritative state of a session.
    pub async fn get_session(&self, id: &SessionId) -> Result<Session, Error> {
        self.get(format!("v1/checkout/sessions/{id}"), None::<&()>)
            .await
    }

    /// `GET /v1/checkout/sessions`.
    pub async fn list_sessions(&self, params: &SessionListParams) -> Result<List<Session>, Error> {
        self.get("v1/checkout/sessions".into(), Some(params)).await
    }

    /// `POST /v1/checkout/sessions/{id}/expire`.
    pub async fn expire_session(&self, id: &SessionId) -> Result<Session, Error> {
        self.post(format!("v1/checkout/sessions/{id}/expire"), &(), None)
            .await
    }

    /// `POST /v1/payment-links`.
    pub async fn create_payment_link(
        &self,
        body: &tender_protocol::CreatePaymentLink,
    ) -> Result<tender_protocol::PaymentLink, Error> {
        self.post("v1/payment-links".into(), body, None).await
    }

    /// `POST /v1/products`.
    pub async fn create_product(&self, body: &CreateProduct) -> Result<Product, Error> {
        self.post("v1/products".into(), body, None).await
    }

    /// `GET /v1/products`.
    pub async fn list_products(&self, params: &ListParams) -> Result<List<Product>, Error> {
        self.get("v1/products".into(), Some(params)).await
    }

    /// `GET /v1/products/{id}`.
    pub async fn get_product(&self, id: &ProductId) -> Result<Product, Error> {
        self.get(format!("v1/products/{id}"), None::<&()>).await
    }

    /// `POST /v1/products/{id}/archive`.
    pub async fn archive_product(&self, id: &ProductId) -> Result<Product, Error> {
        self.post(format!("v1/products/{id}/archive"), &(), None)
            .await
    }

    /// `POST /v1/api-keys`; the answer carries the secret, shown this once.
    /// Without `scopes` the key may do what this client's key may.
    pub async fn create_api_key(&self, body: &CreateApiKey) -> Result<ApiKey, Error> {
        self.post("v1/api-keys".into(), body, None).await
    }

    /// `GET /v1/api-keys`.
    pub async fn list_api_keys(&self, params: &ListParams) -> Result<List<ApiKey>, Error> {
        self.get("v1/api-keys".into(), Some(params)).await
    }

    /// `DELETE /v1/api-keys/{id}`.
    pub async fn revoke_api_key(&self, id: &str) -> Result<ApiKey, Error> {
        self.delete(format!("v1/api-keys/{id}")).await
    }

    /// `POST /v1/webhook-endpoints`; the answer carries the signing secret,
    /// shown this once.
    pub async fn create_webhook_endpoint(
        &self,
        body: &CreateWebhookEndpoint,
    ) -> Result<WebhookEndpoint, Error> {
        self.post("v1/webhook-endpoints".into(), body, None).await
    }

    /// `GET /v1/webhook-endpoints`.
    pub async fn list_webhook_endpoints(
        &self,
        params: &ListParams,
    ) -> Result<List<WebhookEndpoint>, Error> {
        self.get("v1/webhook-endpoints".into(), Some(params)).await
    }

    /// `GET /v1/webhook-endpoints/{id}`.
    pub async fn get_webhook_endpoint(&self, id: &str) -> Result<WebhookEndpoint, Error> {
        self.get(format!("v1/webhook-endpoints/{id}"), None::<&()>)
            .await
    }

    /// `DELETE /v1/webhook-endpoints/{id}`.
    pub async fn delete_webhook_endpoint(&self, id: &str) -> Result<WebhookEndpoint, Error> {
        self.delete(format!("v1/webhook-endpoints/{id}")).await
    }

    /// `POST /v1/webhook-endpoints/{id}/enable`, after it was disabled (by
    /// the merchant, or by a `410 Gone`).
    pub async fn enable_webhook_endpoint(&self, id: &str) -> Result<WebhookEndpoint, Error> {
        self.post(format!("v1/webhook-endpoints/{id}/enable"), &(), None)
            .await
    }

    /// `POST /v1/webhook-endpoints/{id}/disable`: nothing is queued for it
    /// or sent to it until it is enabled again.
    pub async fn disable_webhook_endpoint(&self, id: &str) -> Result<WebhookEndpoint, Error> {
        self.post(format!("v1/webhook-endpoints/{id}/disable"), &(), None)
            .await
    }

    /// `POST /v1/webhook-endpoints/{id}/test`: sends it a
    /// `webhook_endpoint.test` event.
    pub async fn test_webhook_endpoint(&self, id: &str) -> Result<Event, Error> {
        self.post(format!("v1/webhook-endpoints/{id}/test"), &(), None)
            .await
    }

    /// `POST /v1/webhook-endpoints/{id}/rotate-secret`; the answer carries
    /// the new secret.
    pub async fn rotate_webhook_secret(
        &self,
        id: &str,
        body: &RotateSecret,
    ) -> Result<WebhookEndpoint, Error> {
        self.post(
            format!("v1/webhook-endpoints/{id}/rotate-secret"),
            body,
            None,
        )
        .await
    }

    /// `PUT /v1/settlement-destination`: where proceeds are paid out.
    pub async fn put_settlement_destination(
        &self,
        body: &SettlementDestination,
    ) -> Result<SettlementDestination, Error> {
        self.put("v1/settlement-destination".into(), body).await
    }

    /// `GET /v1/settlement-destination`.
    pub async fn get_settlement_destination(&self) -> Result<SettlementDestination, Error> {
        self.get("v1/settlement-destination".into(), None::<&()>)
            .await
    }

    /// `GET /v1/settlement-destination/options`: the networks and tokens
    /// proceeds can go to.
    pub async fn settlement_options(&self) -> Result<List<SettlementOption>, Error> {
        self.get("v1/settlement-destination/options".into(), None::<&()>)
            .await
    }

    /// `GET /v1/overview`: volume, sessions by status, payouts pending,
    /// failing endpoints.
    pub async fn overview(&self, params: &OverviewParams) -> Result<Overview, Error> {
        self.get("v1/overview".into(), Some(params)).await
    }

    /// `POST /v1/test-events`: a made-up `session.*` event, marked `test`.
    pub async fn trigger_event(&self, body: &TriggerEvent) -> Result<Event, Error> {
        self.post("v1/test-events".into(), body, None).await
    }

    /// `GET /v1/events`.
    pub async fn list_events(&self, params: &EventListParams) -> Result<List<Event>, Error> {
        self.get("v1/events".into(), Some(params)).await
    }

    /// `GET /v1/events/{id}`, with its delivery attempts.
    pub async fn get_event(&self, id: &str) -> Result<EventDetails, Error> {
        self.get(format!("v1/events/{id}"), None::<&()>).await
    }

    /// `POST /v1/events/{id}/redeliver`.
    pub async fn redeliver_event(&self, id: &str, body: &Redeliver) -> Result<EventDetails, Error> {
        self.post(format!("v1/events/{id}/redeliver"), body, None)
            .await
    }

    /// `POST /v1/checkout/sessions/{id}/refunds`: the answer holds the claim
    /// link to give the shopper (only here).
    pub async fn create_refund(
        &self,
        session: &SessionId,
        body: &CreateRefund,
    ) -> Result<Refund, Error> {
        self.post(
            format!("v1/checkout/sessions/{session}/refunds"),
            body,
            None,
        )
        .await
    }

    /// `GET /v1/refunds`.
    pub async fn list_refunds(&self, params: &RefundListParams) -> Result<List<Refund>, Error> {
        self.get("v1/refunds".into(), Some(params)).await
    }

    /// `GET /v1/refunds/{id}`.
    pub async fn get_refund(&self, id: &RefundId) -> Result<Refund, Error> {
        self.get(format!("v1/refunds/{id}"), None::<&()>).await
    }

    /// `POST /v1/refunds/{id}/cancel`: before the shopper claims it.
    pub async fn cancel_refund(&self, id: &RefundId) -> Result<Refund, Error> {
        self.post(
            format!("v1/refunds/{id}/cancel"),
            &serde_json::json!({}),
            None,
        )
        .await
    }

    /// `GET /v1/account/settings`.
    pub async fn get_account_settings(&self) -> Result<AccountSettings, Error> {
        self.get("v1/account/settings".into(), None::<&()>).await
    }

    /// `PUT /v1/account/settings` (the whole object).
    pub async fn put_account_settings(
        &self,
        body: &AccountSettings,
    ) -> Result<AccountSettings, Error> {
        self.put("v1/account/settings".into(), body).await
    }
}
