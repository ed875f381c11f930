//! Mounts the customer's dispute pages (`/disputes/`), a bundle apart from
//! the portal's pay path.

fn main() {
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(settle_portal::thread::ThreadApp);
}
