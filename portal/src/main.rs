//! Mounts the portal.

fn main() {
    // Readable panics in the console while developing; the release bundle
    // leaves the formatting code out (every byte is downloaded by customers).
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(settle_portal::App);
}
