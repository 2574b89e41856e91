//! Entry of the refund page's bundle (`/refund/{token}`), built apart from
//! the pay page's so that neither carries the other.

fn main() {
    tender_cashier::boot::start(|| leptos::mount::mount_to_body(tender_cashier::claim::RefundApp));
}
