//! The page a customer's link opens, served at once.
//!
//! Opening `/c/<token>` used to answer a redirect to `/invoices`, and the
//! heading appeared only after the wasm and two API calls. Now the link is
//! answered with the portal's own index.html, into which go: the customer's
//! language and direction, the company's bar and the page's heading (so the
//! first paint already shows them), `preload`s of the session and invoice
//! data (fetched while the wasm downloads; the portal's own requests reuse
//! them), and a `history.replaceState` that puts the page's real address
//! in the bar, so the token stays in no history entry. The portal removes
//! the skeleton (`#boot`) when it renders the page itself.

use crate::email::render::escape;

/// What the landing page shows before the portal runs.
pub struct Landing<'a> {
    /// Where the portal continues: `/invoices` or `/invoices/{id}`.
    pub path: &'a str,
    /// BCP 47 language (`en`, `fr`, `ar`).
    pub lang: &'a str,
    pub rtl: bool,
    pub company: &'a str,
    /// The company's colour (`#rrggbb`), for the bar's edge.
    pub colour: &'a str,
    pub heading: &'a str,
    /// API paths fetched while the wasm downloads.
    pub preloads: &'a [String],
}

/// `index_html` (the portal's built index.html) as the landing page.
pub fn page(index_html: &str, l: &Landing<'_>) -> String {
    let mut html = index_html.to_owned();
    // The <html> tag with the customer's language and direction.
    if let Some(start) = html.find("<html")
        && let Some(len) = html[start..].find('>')
    {
        let dir = if l.rtl { "rtl" } else { "ltr" };
        html.replace_range(
            start..=start + len,
            &format!("<html lang=\"{}\" dir=\"{dir}\">", escape(l.lang)),
        );
    }
    let preloads: String = l
        .preloads
        .iter()
        .map(|p| {
            format!(
                "<link rel=\"preload\" as=\"fetch\" crossorigin href=\"{}\">",
                escape(p)
            )
        })
        .collect();
    let at = html
        .find("</head>")
        .or_else(|| html.find("<body"))
        .unwrap_or(0);
    html.insert_str(at, &preloads);
    let skeleton = format!(
        "<script>history.replaceState(null,\"\",{path})</script>\
         <div id=\"boot\" class=\"shell\" style=\"--brand:{colour}\"><header class=\"brand-bar\">\
         <span class=\"brand\"><span class=\"brand-name\">{company}</span></span></header>\
         <main id=\"boot-main\"><h1>{heading}</h1></main></div>",
        // A JSON string in a script: `<` written as `\u003c`, so no value
        // can close the script.
        path = serde_json::to_string(l.path)
            .unwrap_or_else(|_| "\"/invoices\"".into())
            .replace('<', "\\u003c"),
        colour = safe_colour(l.colour),
        company = escape(l.company),
        heading = escape(l.heading),
    );
    match html
        .find("<body")
        .and_then(|b| html[b..].find('>').map(|e| b + e + 1))
    {
        Some(at) => html.insert_str(at, &skeleton),
        None => html.push_str(&skeleton),
    }
    html
}

/// A `#rrggbb` colour, or the default blue: nothing else goes into a style.
fn safe_colour(c: &str) -> &str {
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if ok { c } else { "#1a56db" }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "<!doctype html><html dir=ltr lang=en><meta charset=utf-8><title>Your invoices</title>\
        <link href=/style.css rel=stylesheet></head><body><noscript>JS</noscript></body></html>";

    fn landing<'a>(preloads: &'a [String]) -> Landing<'a> {
        Landing {
            path: "/invoices/inv_1",
            lang: "ar",
            rtl: true,
            company: "Acme <Ltd>",
            colour: "#0f766e",
            heading: "فاتورة NW-1001",
            preloads,
        }
    }

    #[test]
    fn the_landing_page_carries_the_frame_the_heading_and_the_data_requests() {
        let preloads = vec![
            "/api/v1/portal/session".to_owned(),
            "/api/v1/portal/invoices/inv_1".to_owned(),
        ];
        let html = page(INDEX, &landing(&preloads));
        assert!(html.starts_with("<!doctype html><html lang=\"ar\" dir=\"rtl\"><meta"));
        assert!(html.contains(
            "<link rel=\"preload\" as=\"fetch\" crossorigin href=\"/api/v1/portal/session\"><link rel=\"preload\" as=\"fetch\" crossorigin href=\"/api/v1/portal/invoices/inv_1\"></head>"
        ));
        assert!(html.contains("<body><script>history.replaceState(null,\"\",\"/invoices/inv_1\")</script><div id=\"boot\""));
        assert!(html.contains("Acme &lt;Ltd&gt;"), "names are text");
        assert!(html.contains("<h1>فاتورة NW-1001</h1>"));
        assert!(html.contains("--brand:#0f766e"));
        assert!(html.ends_with("<noscript>JS</noscript></body></html>"));
    }

    #[test]
    fn nothing_but_a_colour_goes_into_the_style() {
        let mut l = landing(&[]);
        l.colour = "red;background:url(x)";
        assert!(page(INDEX, &l).contains("--brand:#1a56db\""));
        l.path = "\"</script><script>alert(1)</script>";
        let html = page(INDEX, &l);
        assert!(!html.contains("</script><script>alert"), "{html}");
    }
}
