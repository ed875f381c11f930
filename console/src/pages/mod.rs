//! One file per screen.

pub mod account;
pub mod api_keys;
pub mod billing;
pub mod branding;
pub mod correction;
pub mod customer;
pub mod customers;
pub mod dashboard;
pub mod dispute;
pub mod disputes;
pub mod evidence;
pub mod imports;
pub mod invoice;
pub mod invoices;
pub mod new_invoice;
pub mod payment_dates;
pub mod schedules;
pub mod sign_in;
pub mod stripe;
pub mod subscribe;
pub mod team;
pub mod webhooks;
pub mod worklist;

use crate::shell::Session;
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    let t = expect_context::<Session>().t();
    view! { <h1>{t.not_found}</h1> }
}

/// Pages of a list, by cursor: the cursors of the pages before this one,
/// so that "previous" works as well as "next".
#[derive(Clone, Copy)]
pub struct Pager {
    pub cursor: RwSignal<Option<String>>,
    behind: RwSignal<Vec<Option<String>>>,
}

impl Pager {
    pub fn new() -> Pager {
        Pager {
            cursor: RwSignal::new(None),
            behind: RwSignal::new(Vec::new()),
        }
    }

    /// Back to the first page (a new search or filter).
    pub fn reset(&self) {
        self.behind.set(Vec::new());
        self.cursor.set(None);
    }

    pub fn next(&self, cursor: String) {
        let here = self.cursor.get_untracked();
        self.behind.update(|b| b.push(here));
        self.cursor.set(Some(cursor));
    }

    pub fn previous(&self) {
        let mut before = None;
        self.behind.update(|b| before = b.pop());
        if let Some(c) = before {
            self.cursor.set(c);
        }
    }

    pub fn has_previous(&self) -> bool {
        !self.behind.get().is_empty()
    }
}

impl Default for Pager {
    fn default() -> Self {
        Self::new()
    }
}

/// "Previous page" and "Next page" under a list.
#[component]
pub fn PagerButtons(pager: Pager, next: Option<String>) -> impl IntoView {
    let t = expect_context::<Session>().t();
    let has_next = next.is_some();
    view! {
        <div class="pager" hidden=move || !has_next && !pager.has_previous()>
            <button type="button" disabled=move || !pager.has_previous() on:click=move |_| pager.previous()>
                {t.previous}
            </button>
            <button type="button" disabled=!has_next on:click=move |_| {
                if let Some(c) = next.clone() {
                    pager.next(c)
                }
            }>{t.next}</button>
        </div>
    }
}

/// A text input's value from its event.
pub fn value(ev: &leptos::ev::Event) -> String {
    event_target_value(ev)
}
