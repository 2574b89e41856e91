//! A group of checkboxes choosing some of a fixed set (the scopes of a new
//! key, the events of a new endpoint).

use leptos::prelude::*;

/// A box for each of `choices` (its value and label), ticked as `ticked`
/// holds; each box's id is `prefix` and its label, made id-safe.
#[component]
pub fn Ticks<T>(
    choices: Vec<(T, &'static str)>,
    prefix: &'static str,
    ticked: RwSignal<Vec<T>>,
) -> impl IntoView
where
    T: Copy + PartialEq + Send + Sync + 'static,
{
    choices
        .into_iter()
        .map(|(choice, label)| {
            let id = format!("{prefix}-{}", label.replace([':', '.', '_'], "-"));
            let label_for = id.clone();
            view! {
                <label class="check" for=label_for>
                    <input type="checkbox" id=id
                        prop:checked=move || ticked.with(|t| t.contains(&choice))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            ticked.update(|t| {
                                t.retain(|c| *c != choice);
                                if on { t.push(choice); }
                            });
                        }/>
                    {label}
                </label>
            }
        })
        .collect_view()
}
