//! Markdown to HTML for postmortems (the preview, the page and the printable export). Text is
//! written by people and read by everyone, so raw HTML is shown as text and links go only to
//! web, mail and same-site addresses: a `javascript:` link becomes a dead one.

use pulldown_cmark::{CowStr, Event, Parser, Tag, html::push_html};

/// CommonMark rendered as HTML that is safe to put in a page.
pub fn to_html(markdown: &str) -> String {
    let events = Parser::new(markdown).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Link { link_type, dest_url: safe_url(dest_url), title, id })
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Image { link_type, dest_url: safe_url(dest_url), title, id })
        }
        other => other,
    });
    let mut html = String::new();
    push_html(&mut html, events);
    html
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let allowed = ["https://", "http://", "mailto:", "/", "#"].iter().any(|p| lower.starts_with(p))
        && !lower.starts_with("//");
    if allowed { url } else { CowStr::Borrowed("#") }
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn raw_html_and_script_links_are_defused() {
        let cases = [
            ("<script>alert(1)</script>", "&lt;script&gt;"),
            ("[x](javascript:alert(1))", "<a href=\"#\">x</a>"),
            ("[x](JavaScript:alert(1))", "<a href=\"#\">x</a>"),
            ("[x](//evil.example/)", "<a href=\"#\">x</a>"),
            ("[runbook](https://wiki.example/db)", "<a href=\"https://wiki.example/db\">runbook</a>"),
            ("[incident](/incidents/1)", "<a href=\"/incidents/1\">incident</a>"),
            ("## Impact", "<h2>Impact</h2>"),
        ];
        for (markdown, expected) in cases {
            let html = to_html(markdown);
            assert!(html.contains(expected), "{markdown}: {html}");
            assert!(!html.contains("<script"), "{markdown}: {html}");
        }
    }
}
