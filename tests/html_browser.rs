//! The HTML report in a real browser: headless Chromium loads the page from a file with the
//! network blocked, and the rendered DOM must hold every group row and the chart elements; a
//! screenshot must come out as a real picture. The page has no script and its policy forbids
//! any, so what is tested is what a reader with JavaScript off sees. Under `CI=true` a missing
//! Chromium fails the test; elsewhere the test says so and skips.

// Only `stdout` is used here.
#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::stdout;

/// The browser binary, by the names Debian and others give it.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

fn browser_or_skip() -> Option<PathBuf> {
    match chromium() {
        Some(b) => Some(b),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true but no chromium on PATH (.ci/run installs the Debian package)")
        }
        None => {
            eprintln!("html_browser: chromium not found on PATH, test skipped");
            None
        }
    }
}

/// Runs Chromium headless on `page` with the network blocked and a profile of its own in
/// `dir`, plus `extra` arguments; returns stdout. (`--blink-settings=scriptEnabled=false`
/// would be redundant with the page's `default-src 'none'`, and headless `--dump-dom` and
/// `--screenshot` produce nothing with it.)
fn run_browser(browser: &Path, dir: &Path, page: &Path, extra: &[String]) -> String {
    let url = format!("file://{}", page.display());
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .args(extra)
        .arg(&url)
        .stdin(Stdio::null())
        .output()
        .expect("chromium starts");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bsaudit-browser-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn report_page_renders_every_group_and_chart() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = scratch("report");
    let page = dir.join("report.html");
    let args = ["report", "testdata/cluster", "--top", "0"];
    let html = stdout(&[&args[..], &["--format", "html"]].concat());
    std::fs::write(&page, &html).expect("write page");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&[&args[..], &["--format", "json"]].concat()))
            .expect("json report");
    let groups = json["groups"].as_array().expect("groups");
    assert!(groups.len() >= 10, "{}", groups.len());

    let dom = run_browser(&browser, &dir, &page, &["--dump-dom".to_string()]);
    assert!(
        dom.contains("<h1>BlobStore audit report</h1>"),
        "{}",
        &dom[..dom.len().min(300)]
    );
    // Every group: its row, with its service and code in it, and its card.
    for (i, g) in groups.iter().enumerate() {
        let k = i + 1;
        let row = dom
            .split(&format!("<tr class=\"group\" id=\"group-row-{k}\">"))
            .nth(1)
            .and_then(|rest| rest.split("</tr>").next())
            .unwrap_or_else(|| panic!("row {k} missing"));
        let service = g["service"].as_str().expect("service");
        let code = g["code"].as_u64().expect("code");
        assert!(
            row.contains(&format!("<td>{service}</td>")),
            "row {k}: {row}"
        );
        assert!(row.contains(&format!("<td>{code}</td>")), "row {k}: {row}");
        assert!(dom.contains(&format!("id=\"group-{k}\"")), "card {k}");
    }
    // The errors chart: one line per charted group (the top 6 with a series), an onset mark
    // for each of them that has one, and a latency chart per card.
    let charted = groups.len().min(6);
    let chart = dom
        .split("id=\"errors-chart\"")
        .nth(1)
        .and_then(|rest| rest.split("</svg>").next())
        .expect("errors chart in the DOM");
    assert_eq!(chart.matches("<polyline").count(), charted);
    let onsets = groups
        .iter()
        .take(charted)
        .filter(|g| !g["onset"].is_null())
        .count();
    assert!(onsets >= 1);
    assert_eq!(chart.matches("class=\"onset\"").count(), onsets);
    assert_eq!(
        dom.matches("<svg class=\"chart latency\"").count(),
        groups.len()
    );
    // Services table with a bar per figure.
    for s in json["services"].as_array().expect("services") {
        let name = s["service"].as_str().expect("name");
        assert!(
            dom.contains(&format!("<th scope=\"row\">{name}</th>")),
            "{name}"
        );
    }
    assert!(dom.matches("<svg class=\"bar\"").count() >= 4 * 6);

    // The screenshot: a PNG of the asked size with real content (a blank page of this size
    // compresses to a few KiB).
    let png = dir.join("report.png");
    run_browser(
        &browser,
        &dir,
        &page,
        &[
            "--window-size=1280,2000".to_string(),
            "--hide-scrollbars".to_string(),
            format!("--screenshot={}", png.display()),
        ],
    );
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let width = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
    let height = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    assert_eq!((width, height), (1280, 2000));
    assert!(bytes.len() > 40_000, "{} bytes: a blank page?", bytes.len());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn timeline_page_and_hostile_bytes_render_as_text() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = scratch("timeline");
    let page = dir.join("timeline.html");
    let html = stdout(&[
        "timeline",
        "testdata/cluster",
        "--by",
        "service,code",
        "--format",
        "html",
    ]);
    std::fs::write(&page, &html).expect("write page");
    let dom = run_browser(&browser, &dir, &page, &["--dump-dom".to_string()]);
    assert!(dom.contains("id=\"traffic-chart\""));
    assert!(dom.contains("id=\"errors-chart\""));
    assert_eq!(
        dom.matches("<tr class=\"group\"").count(),
        html.matches("<tr class=\"group\"").count()
    );
    assert!(dom.contains("<tr class=\"group\" id=\"group-row-1\">"));

    // Markup in a log line stays text in the DOM: no element is made from it.
    let log = dir.join("audit.log");
    std::fs::write(
        &log,
        "REQ\tBLOBNODE\t17639800217578152\tGET\t/x/<script>alert(1)</script><b>bold</b>\t{}\t{}\
         \t613\t{\"Blobstore-Tracer-Traceid\":\"<img src=x>\"}\t\t0\t5\n",
    )
    .expect("write log");
    let hostile = dir.join("hostile.html");
    let html = stdout(&["report", log.to_str().expect("utf-8"), "--format", "html"]);
    std::fs::write(&hostile, html).expect("write page");
    let dom = run_browser(&browser, &dir, &hostile, &["--dump-dom".to_string()]);
    assert!(!dom.contains("<script"), "a script element from the log");
    assert!(!dom.contains("<img"), "an image element from the log");
    assert!(!dom.contains("<b>"), "a bold element from the log");
    assert!(dom.contains("/x/&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"));
    std::fs::remove_dir_all(&dir).ok();
}
