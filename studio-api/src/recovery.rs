//! Finding the job a billed submission started when its answer was lost.
//!
//! When a request that starts generation times out, breaks after it was
//! sent, or gets a 5xx, the job may exist and be billed all the same.
//! Instead of resending it, the client asks `list_generation_jobs` for jobs
//! of that type on that frame (or project) created since the submission,
//! and answers with what it finds as if the submission had answered.

use crate::operations::Operation;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// How much earlier than the local submission time a job may be stamped,
/// to allow for clock skew between client and server.
const CLOCK_SKEW_SECONDS: i64 = 5;

/// The `list_generation_jobs` URL that finds jobs `op` started from
/// `request_url` since `submitted`, if `op` starts generation jobs.
pub(crate) fn lookup_url(
    op: &Operation,
    base_url: &str,
    request_url: &reqwest::Url,
    submitted: DateTime<Utc>,
) -> Option<reqwest::Url> {
    let job_type = op.job_type?;
    let params = path_parameters(op.path, request_url.path());
    let (scope, id) = params
        .iter()
        .find(|(name, _)| *name == "frame_id")
        .or_else(|| params.iter().find(|(name, _)| *name == "project_id"))?;
    let since = submitted - chrono::Duration::seconds(CLOCK_SKEW_SECONDS);
    let mut url = reqwest::Url::parse(&format!("{base_url}/generation-jobs")).ok()?;
    url.query_pairs_mut()
        .append_pair("type", job_type)
        .append_pair(scope, id)
        .append_pair("created_after", &since.to_rfc3339())
        .append_pair("limit", "100");
    Some(url)
}

/// The answer the lost submission would have given, built from a
/// `list_generation_jobs` body: every job found for a multi-shot, the
/// newest otherwise. `None` when no job was found.
pub(crate) fn recovered_response(op: &Operation, list_body: &[u8]) -> Option<reqwest::Response> {
    let body: Value = serde_json::from_slice(list_body).ok()?;
    let jobs = body["data"].as_array().filter(|jobs| !jobs.is_empty())?;
    let data = if op.job_type == Some("multi_shot") {
        Value::Array(jobs.clone())
    } else {
        jobs[0].clone()
    };
    let response = http::Response::builder()
        .status(op.success_status)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(json!({"success": true, "data": data}).to_string())
        .ok()?;
    Some(reqwest::Response::from(response))
}

/// Values of a path template's `{name}` segments, read from the end of
/// the actual request path (the base URL's own path comes first).
fn path_parameters<'a>(template: &'a str, path: &'a str) -> Vec<(&'a str, &'a str)> {
    let template: Vec<&str> = template.trim_matches('/').split('/').collect();
    let actual: Vec<&str> = path.trim_matches('/').split('/').collect();
    let Some(offset) = actual.len().checked_sub(template.len()) else {
        return Vec::new();
    };
    template
        .iter()
        .zip(&actual[offset..])
        .filter_map(|(segment, value)| {
            let name = segment.strip_prefix('{')?.strip_suffix('}')?;
            Some((name, *value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lookup_names_the_frame_type_and_time() {
        let op = crate::operations::find("generate_frame_image").unwrap();
        let url =
            reqwest::Url::parse("https://mstudio.ai/api/v1/frames/frm_42/image/generate").unwrap();
        let submitted = DateTime::parse_from_rfc3339("2026-05-01T10:00:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let lookup = lookup_url(op, "https://mstudio.ai/api/v1", &url, submitted).unwrap();
        assert_eq!(
            lookup.as_str(),
            "https://mstudio.ai/api/v1/generation-jobs?type=image&frame_id=frm_42&created_after=2026-05-01T10%3A00%3A00%2B00%3A00&limit=100"
        );
        let voice = crate::operations::find("generate_voiceover").unwrap();
        let url = reqwest::Url::parse("https://mstudio.ai/api/v1/projects/prj_7/audio/voiceover")
            .unwrap();
        let lookup = lookup_url(voice, "https://mstudio.ai/api/v1", &url, submitted).unwrap();
        assert!(
            lookup.as_str().contains("type=voice&project_id=prj_7"),
            "{lookup}"
        );
        let export = crate::operations::find("create_export").unwrap();
        assert!(lookup_url(export, "https://mstudio.ai/api/v1", &url, submitted).is_none());
    }
}
