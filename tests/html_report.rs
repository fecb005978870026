//! `--format html`: golden pages for the demo tree (report and timeline), and the properties
//! that make the page safe to mail around: nothing loads from outside, and log bytes stay text.
//! Review changes with `INSTA_UPDATE=always cargo test --test html_report`.

mod common;

use common::{run, stdout};

/// Nothing in the page can make the browser fetch: no script, no external reference.
fn assert_self_contained(html: &str) {
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">"
    ));
    for needle in ["url(", "@import"] {
        assert!(!html.contains(needle), "{needle} in the page");
    }
    // Every tag (text from the logs is escaped, so it holds no `<`): no loading element, no
    // source attribute, and every link points within the page.
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        let name = tag.split([' ', '\n']).next().unwrap_or("");
        assert!(
            ![
                "script", "img", "link", "iframe", "object", "embed", "image", "use"
            ]
            .contains(&name),
            "<{tag}>"
        );
        assert!(!tag.contains(" src=") && !tag.contains(" on"), "<{tag}>");
        if let Some(href) = tag.split(" href=\"").nth(1) {
            assert!(href.starts_with('#'), "<{tag}>");
        }
    }
}

#[test]
fn report_html() {
    let html = stdout(&["report", "testdata/cluster", "--format", "html"]);
    assert_self_contained(&html);
    assert!(html.len() <= 300 * 1024, "{} bytes", html.len());
    insta::assert_snapshot!(html);
}

#[test]
fn report_html_every_group() {
    // All 17 groups: every one has a row and a card (fewer than the card cap).
    let html = stdout(&[
        "report",
        "testdata/cluster",
        "--top",
        "0",
        "--format",
        "html",
    ]);
    let json = stdout(&[
        "report",
        "testdata/cluster",
        "--top",
        "0",
        "--format",
        "json",
    ]);
    let groups = json.matches("\"count\":").count();
    assert!(groups >= 17, "{groups}");
    assert_eq!(html.matches("<tr class=\"group\"").count(), groups);
    assert_eq!(
        html.matches("<article class=\"card group-card\"").count(),
        groups
    );
    assert_self_contained(&html);
}

#[test]
fn timeline_html() {
    let html = stdout(&[
        "timeline",
        "testdata/cluster",
        "--by",
        "service,code",
        "--format",
        "html",
    ]);
    assert_self_contained(&html);
    insta::assert_snapshot!(html);
}

/// One error record whose path, trace id and service carry markup and control bytes.
pub fn hostile_log() -> String {
    "REQ\tBLOBNODE\t17639800217578152\tGET\t/x/<script>alert(1)</script>\"'&\u{1b}[2J\t\
     {\"Host\":\"h\"}\t{}\t613\t{\"Blobstore-Tracer-Traceid\":\"<img src=x onerror=alert(2)>\"}\
     \t\t0\t5\n"
        .to_string()
}

#[test]
fn log_bytes_stay_text() {
    let dir = std::env::temp_dir().join(format!("bsaudit-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let log = dir.join("audit.log");
    std::fs::write(&log, hostile_log()).expect("write log");
    let html = stdout(&[
        "report",
        log.to_str().expect("utf-8 path"),
        "--format",
        "html",
    ]);
    std::fs::remove_dir_all(&dir).ok();
    assert_self_contained(&html);
    assert!(!html.contains("<img"), "markup from the log became markup");
    assert!(!html.contains('\u{1b}'));
    assert!(
        html.contains("/x/&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;\\x1b[2J"),
        "the path is shown as text"
    );
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
}

#[test]
fn diff_has_no_html_format() {
    let (code, out, err) = run(&[
        "diff",
        "testdata/cluster",
        "--baseline",
        "prev",
        "--last",
        "30m",
        "--format",
        "html",
    ]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("diff has no --format html"), "{err}");
}
