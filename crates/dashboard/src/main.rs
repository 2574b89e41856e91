//! Entry of the dashboard bundle: mount the app.

fn main() {
    leptos::mount::mount_to_body(tender_dashboard::App);
}
