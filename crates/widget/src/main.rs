//! Entry of the widget bundle: the page's language, then mount into the
//! page's placeholders.

fn main() {
    wasm_bindgen_futures::spawn_local(async {
        tender_widget::start().await;
    });
}
