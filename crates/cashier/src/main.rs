//! Entry of the cashier bundle: mount the app.

fn main() {
    leptos::mount::mount_to_body(tender_cashier::App);
}
