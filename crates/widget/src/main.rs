//! Entry of the widget bundle: mount into the page's placeholders.

fn main() {
    tender_widget::mount_all();
}
