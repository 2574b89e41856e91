//! Entry of the pay page's bundle (`/pay/{sessionId}`).

fn main() {
    tender_cashier::boot::start(|| leptos::mount::mount_to_body(tender_cashier::App));
}
