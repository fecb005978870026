//! JSON output: the `serde` form of the data model, pretty-printed, one document per run.
//! Exact: control characters are JSON escapes, never raw bytes ([`crate::escape::json_safe`]).

use std::io::{self, Write};

use serde::Serialize;

/// Writes `value` as indented JSON followed by a newline.
pub fn write<T: Serialize>(value: &T, out: &mut dyn Write) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(value).map_err(io::Error::from)?;
    out.write_all(&crate::escape::json_safe(&json))?;
    writeln!(out)
}

/// The report as `bsaudit.report/v1` JSON: the model's `serde` form, with each group's
/// sparkline added from its series.
pub struct JsonRenderer;

impl crate::render::ReportRenderer for JsonRenderer {
    fn report(&self, r: &crate::report::Report, out: &mut dyn Write) -> io::Result<()> {
        let mut value = serde_json::to_value(r).map_err(io::Error::from)?;
        if let Some(groups) = value.get_mut("groups").and_then(|g| g.as_array_mut()) {
            for (json, g) in groups.iter_mut().zip(&r.groups) {
                if let (Some(obj), Some(trend)) = (json.as_object_mut(), crate::render::trend(g)) {
                    // Where v1 always had it: after resp_bytes.
                    let at = obj
                        .keys()
                        .position(|k| k == "resp_bytes")
                        .map_or(obj.len(), |i| i + 1);
                    obj.shift_insert(
                        at,
                        "sparkline".to_string(),
                        serde_json::Value::String(trend),
                    );
                }
            }
        }
        write(&value, out)
    }
}
