//! The spec → code pipeline: freshness, drift reporting and the spec rules.

use serde_yaml::{Mapping, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use xtask::{SPEC_PATH, drift, generate, workspace_root};

fn spec_value() -> Value {
    let text = std::fs::read_to_string(workspace_root().join(SPEC_PATH)).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn operation<'a>(spec: &'a mut Value, path: &str, method: &str) -> &'a mut Mapping {
    spec["paths"][path][method]
        .as_mapping_mut()
        .unwrap_or_else(|| panic!("{method} {path} is in the spec"))
}

/// Writes `spec` to a temporary file and runs `cargo xtask codegen --check` on it.
fn check_with(spec: &Value) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("studio.yaml");
    std::fs::write(&path, serde_yaml::to_string(spec).unwrap()).unwrap();
    let output = run_check(&path);
    (output, dir)
}

fn run_check(spec: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["codegen", "--check", "--spec"])
        .arg(spec)
        .output()
        .unwrap()
}

#[test]
fn committed_files_match_the_spec() {
    let root = workspace_root();
    let files = generate(&root.join(SPEC_PATH)).unwrap_or_else(|e| panic!("codegen failed: {e:?}"));
    let diffs = drift(&root, &files);
    assert!(
        diffs.is_empty(),
        "generated files are stale; run `cargo xtask codegen`:\n{}",
        diffs.join("\n")
    );
}

#[test]
fn check_passes_on_the_committed_spec() {
    let output = run_check(&workspace_root().join(SPEC_PATH));
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

#[test]
fn a_changed_property_is_reported_as_drift_with_a_diff_naming_it() {
    let mut spec = spec_value();
    let properties = spec["components"]["schemas"]["Project"]["properties"]
        .as_mapping_mut()
        .unwrap();
    let description = properties.remove("description").unwrap();
    properties.insert("logline".into(), description);
    let (output, _dir) = check_with(&spec);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stdout.contains("+++ b/studio-api/src/generated.rs"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with('+') && l.contains("pub logline")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with('-') && l.contains("pub description")),
        "{stdout}"
    );
    assert!(stderr.contains("run cargo xtask codegen"), "{stderr}");
}

/// Asserts that `spec` fails with exit code 2 and exactly `violation` on stderr.
fn assert_single_violation(spec: &Value, violation: &str) {
    let (output, dir) = check_with(spec);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let path: PathBuf = dir.path().join("studio.yaml");
    assert_eq!(
        stderr,
        format!(
            "{violation}\n1 spec rule violation(s) in {}\n",
            path.display()
        )
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
}

#[test]
fn a_missing_scope_is_a_violation() {
    let mut spec = spec_value();
    operation(&mut spec, "/projects", "post").remove("x-studio-scope");
    assert_single_violation(&spec, "create_project: x-studio-scope is missing");
}

#[test]
fn an_unknown_scope_is_a_violation() {
    let mut spec = spec_value();
    operation(&mut spec, "/projects/{project_id}", "get")
        .insert("x-studio-scope".into(), "admin".into());
    assert_single_violation(
        &spec,
        "get_project: x-studio-scope \"admin\" is not one of: projects, frames, \
         image_generation, video_generation, audio, export, teams, assets, voices",
    );
}

#[test]
fn two_success_schemas_are_a_violation() {
    let mut spec = spec_value();
    let responses = operation(&mut spec, "/projects", "get")["responses"]
        .as_mapping_mut()
        .unwrap();
    let ok = responses["200"].clone();
    responses.insert("203".into(), ok);
    assert_single_violation(
        &spec,
        "list_projects: must have exactly one success response schema, found 2",
    );
}

#[test]
fn a_multipart_body_is_a_violation() {
    let mut spec = spec_value();
    let content =
        operation(&mut spec, "/projects/{project_id}/frames", "post")["requestBody"]["content"]
            .as_mapping_mut()
            .unwrap();
    let json = content.remove("application/json").unwrap();
    content.insert("multipart/form-data".into(), json);
    assert_single_violation(&spec, "create_frame: request body must not be multipart");
}

#[test]
fn a_missing_429_is_a_violation() {
    let mut spec = spec_value();
    operation(&mut spec, "/frames/{frame_id}", "delete")["responses"]
        .as_mapping_mut()
        .unwrap()
        .remove("429");
    assert_single_violation(&spec, "delete_frame: missing 429 response");
}

#[test]
fn every_violation_is_reported_at_once() {
    let mut spec = spec_value();
    operation(&mut spec, "/projects", "post").remove("x-studio-scope");
    operation(&mut spec, "/frames/{frame_id}", "delete")["responses"]
        .as_mapping_mut()
        .unwrap()
        .remove("429");
    operation(&mut spec, "/teams", "get").insert("operationId".into(), "listTeams".into());
    let (output, _dir) = check_with(&spec);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        &lines[..3],
        [
            "create_project: x-studio-scope is missing",
            "delete_frame: missing 429 response",
            "listTeams: operationId must be snake_case",
        ]
    );
    assert!(lines[3].starts_with("3 spec rule violation(s)"));
    assert!(!stderr.contains("panicked"));
}

#[test]
fn an_unreadable_spec_is_an_error_not_a_panic() {
    let output = run_check(Path::new("/nonexistent/studio.yaml"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.starts_with("error: reading /nonexistent/studio.yaml"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

#[test]
fn a_paged_operation_without_a_list_response_is_an_error() {
    let mut spec = spec_value();
    operation(&mut spec, "/projects/{project_id}/frames", "get")["responses"]["200"]["content"]["application/json"]
        ["schema"]["$ref"] = "#/components/schemas/FrameResponse".into();
    let (output, _dir) = check_with(&spec);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        "error: ListFrames has a page setter but its response FrameResponse has no data and pagination\n"
    );
}

/// The generated `send()` of every operation refuses each of its path
/// parameters before sending; none is listed by hand.
#[test]
fn every_path_parameter_of_every_operation_is_checked_before_sending() {
    let spec = xtask::spec::load(&xtask::workspace_root().join(xtask::SPEC_PATH)).unwrap();
    let generated = xtask::generate(&xtask::workspace_root().join(xtask::SPEC_PATH))
        .unwrap_or_else(|_| panic!("codegen"));
    let client = &generated
        .iter()
        .find(|f| f.path == "studio-api/src/generated.rs")
        .unwrap()
        .contents;
    let mut checked = 0;
    for (index, op) in xtask::spec::operations(&spec).iter().enumerate() {
        let start = format!("crate::call::Call::new(self.client, {index}usize)");
        let at = client
            .find(&start)
            .unwrap_or_else(|| panic!("{} starts no call", op.id));
        let chain = &client[at..at + client[at..].find(".run").unwrap()];
        for param in xtask::spec::path_parameters(op.path) {
            assert!(
                chain.contains(&format!(".path(\"{param}\", &self.{param})?")),
                "{}: {param} is not checked in {chain}",
                op.id
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} path parameters");
}

#[test]
fn an_update_that_cannot_clear_a_nullable_field_is_a_violation() {
    let mut spec = spec_value();
    spec["components"]["schemas"]["UpdateProjectRequest"]["properties"]["style"]
        .as_mapping_mut()
        .unwrap()
        .remove("nullable");
    assert_single_violation(
        &spec,
        "update_project: UpdateProjectRequest.style must be nullable: Project.style can be \
         null, and an update must be able to clear it",
    );
}

#[test]
fn a_wire_value_that_makes_a_variant_named_unknown_is_an_error() {
    let mut spec = spec_value();
    spec["components"]["schemas"]["JobStatus"]["enum"]
        .as_sequence_mut()
        .unwrap()
        .push("unknown".into());
    let (output, _dir) = check_with(&spec);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        "error: JobStatus: the wire value \"unknown\" makes a variant named Unknown, \
         the name kept for values the client does not know\n"
    );
}

#[test]
fn a_response_schema_without_a_sample_is_an_error_naming_where() {
    let mut spec = spec_value();
    spec["components"]["schemas"]["Project"]["properties"]["id"]["pattern"] = "^prj_".into();
    let (output, _dir) = check_with(&spec);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        "error: list_projects: no sample of its success response: \
         body.data[0].id: a string with a pattern has no sample\n"
    );
}

/// The decode tests cover every string enum and every operation with a
/// JSON success response, named after it; none is listed by hand.
#[test]
fn the_decode_tests_cover_every_enum_and_every_json_response() {
    let root = workspace_root();
    let files = generate(&root.join(SPEC_PATH)).unwrap_or_else(|e| panic!("codegen failed: {e:?}"));
    let tests = &files
        .iter()
        .find(|f| f.path == "tests/tests/unknown_values.rs")
        .expect("the decode tests are generated")
        .contents;
    assert!(tests.starts_with(xtask::GENERATED_HEADER));
    let spec = xtask::spec::load(&root.join(SPEC_PATH)).unwrap();
    let enums = xtask::samples::string_enums(&spec);
    for name in [
        "fn job_status()",
        "fn aspect_ratio()",
        "fn voice_category()",
    ] {
        assert!(tests.contains(name), "{name}");
    }
    assert_eq!(
        tests.matches("assert_unknown(").count(),
        enums.len(),
        "one test per string enum"
    );
    // Every operation answers with JSON: each has a test, whether or not its
    // response holds an enum.
    for operation in [
        "get_generation_job",
        "list_team_invites",
        "generate_multi_shot",
        "get_frame",
        "delete_project",
    ] {
        assert!(tests.contains(&format!("fn {operation}()")), "{operation}");
    }
    assert_eq!(
        tests.matches("serialised back as sent").count(),
        xtask::spec::operations(&spec).len(),
        "one round trip per operation"
    );
}

/// Only structs that success responses alone reach keep unknown fields: one
/// a request body reaches too, or one with a property of that name, stops
/// codegen.
#[test]
fn unknown_fields_go_to_response_structs_only() {
    let spec = xtask::spec::load(&workspace_root().join(SPEC_PATH)).unwrap();
    let doc = xtask::facts::document(&spec).unwrap();
    let structs = xtask::unknown_fields::response_only(&doc).unwrap();
    assert!(structs.contains("GenerationJob") && structs.contains("Pagination"));
    assert!(!structs.iter().any(|name| name.ends_with("Request")));

    let mut shared = doc.clone();
    let body = &mut shared["components"]["schemas"]["CreateFrameRequest"]["properties"];
    body["pagination"] = serde_json::json!({"$ref": "#/components/schemas/Pagination"});
    let error = xtask::unknown_fields::response_only(&shared).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("[\"Pagination\"] are reached from both"),
        "{error}"
    );

    let mut named = doc;
    let frame = &mut named["components"]["schemas"]["Frame"]["properties"];
    frame["unknown_fields"] = serde_json::json!({"type": "string"});
    let error = xtask::unknown_fields::response_only(&named).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("Frame has a property named unknown_fields"),
        "{error}"
    );
}

/// A pass over the generated client.
type Pass<'a> = &'a dyn Fn(&mut syn::File) -> anyhow::Result<()>;

/// The generated client as far as (not including) the pass under test.
fn client_before(pass: &str) -> (syn::File, serde_json::Value) {
    let spec = xtask::spec::load(&workspace_root().join(SPEC_PATH)).unwrap();
    let doc = xtask::facts::document(&spec).unwrap();
    let mut file = xtask::client::generate(&spec).unwrap();
    let passes: [(&str, Pass<'_>); 4] = [
        ("typed_errors", &|f| xtask::typed_errors::apply(f, &spec)),
        ("visibility", &|f| xtask::visibility::apply(f)),
        ("pages", &|f| xtask::pages::apply(f, &doc)),
        ("enums", &|f| xtask::enums::apply(f)),
    ];
    for (name, run) in passes {
        if name == pass {
            break;
        }
        run(&mut file).unwrap();
    }
    (file, doc)
}

/// Drops method `method` of the impl of `self_ty` inside module `module`
/// (`None`: at the top of the file).
fn drop_method(file: &mut syn::File, module: Option<&str>, self_ty: &str, method: &str) {
    let items = match module {
        Some(name) => xtask::syntax::items_of_mut(file, name).unwrap(),
        None => &mut file.items,
    };
    let mut dropped = 0;
    for item in items.iter_mut() {
        if let syn::Item::Impl(imp) = item
            && imp.trait_.is_none()
            && xtask::syntax::last_ident(&imp.self_ty).as_deref() == Some(self_ty)
        {
            imp.items.retain(|i| {
                let keep = !matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == method);
                dropped += usize::from(!keep);
                keep
            });
        }
    }
    assert_eq!(dropped, 1, "{self_ty}::{method}");
}

/// Each pass over the generated code fails, naming what it missed, when a
/// builder lacks what it rewrites, instead of generating a client without it.
#[test]
fn a_pass_that_misses_a_builder_fails_naming_it() {
    let (mut file, _) = client_before("typed_errors");
    drop_method(&mut file, Some("builder"), "GetProject", "send");
    let spec = xtask::spec::load(&workspace_root().join(SPEC_PATH)).unwrap();
    let error = xtask::typed_errors::apply(&mut file, &spec).unwrap_err();
    assert_eq!(
        error.to_string(),
        "builder GetProject: no `send` to give the crate's error type"
    );

    let (mut file, doc) = client_before("pages");
    drop_method(&mut file, Some("builder"), "ListProjects", "page");
    let error = xtask::pages::apply(&mut file, &doc).unwrap_err();
    assert!(
        error.to_string().starts_with("added stream() to ")
            && error
                .to_string()
                .contains("operations with a `page` parameter"),
        "{error}"
    );

    let (mut file, doc) = client_before("setters");
    drop_method(&mut file, Some("builder"), "ListProjects", "limit");
    let error = xtask::setters::apply(&mut file, &doc).unwrap_err();
    assert_eq!(
        error.to_string(),
        "builder ListProjects: rewrote 3 setters of 4 fields"
    );

    let (mut file, doc) = client_before("setters");
    drop_method(&mut file, None, "Client", "get_project");
    let error = xtask::client_docs::apply(&mut file, &doc).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("documented 65 Client methods, of 66"),
        "{error}"
    );
}

/// The API-wide facts come from the spec alone: a changed quota, message or
/// scope list reaches the operations table (which pacing, the error mapping
/// and studio-mock read) and the spec rules, with no other edit.
#[test]
fn quotas_scopes_and_messages_flow_from_the_spec_into_the_table_and_rules() {
    let mut spec = spec_value();
    spec["x-studio-quotas"]["api-key-per-minute"] = 30.into();
    spec["x-studio-quotas"]["bearer-per-minute"] = 90.into();
    spec["x-studio-messages"]["missing-scope"] = "Key lacks scope: ".into();
    spec["x-studio-scopes"]
        .as_sequence_mut()
        .unwrap()
        .push("music".into());
    operation(&mut spec, "/projects", "post").insert("x-studio-scope".into(), "music".into());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("studio.yaml");
    std::fs::write(&path, serde_yaml::to_string(&spec).unwrap()).unwrap();
    let files = generate(&path).unwrap_or_else(|e| panic!("codegen failed: {e:?}"));
    let table = &files
        .iter()
        .find(|f| f.path == "studio-api/src/operations.rs")
        .unwrap()
        .contents;
    for expected in [
        "pub const API_KEY_QUOTA_PER_MINUTE: u32 = 30u32;",
        "pub const BEARER_QUOTA_PER_MINUTE: u32 = 90u32;",
        "pub const MISSING_SCOPE_MESSAGE: &str = \"Key lacks scope: \";",
        "Scope::Music => \"music\",",
    ] {
        assert!(table.contains(expected), "{expected} in\n{table}");
    }
    let create = table.split("id: \"create_project\"").nth(1).unwrap();
    assert!(
        create.trim_start().contains("scope: Scope::Music,"),
        "{create}"
    );

    // Without the scope in the list, the same operation breaks a rule.
    spec["x-studio-scopes"].as_sequence_mut().unwrap().pop();
    assert_single_violation(
        &spec,
        "create_project: x-studio-scope \"music\" is not one of: projects, frames, \
         image_generation, video_generation, audio, export, teams, assets, voices",
    );
}

#[test]
fn a_cli_command_named_twice_is_a_violation_of_both_operations() {
    let mut spec = spec_value();
    operation(&mut spec, "/projects/{project_id}", "get")
        .insert("x-studio-cli".into(), "projects list".into());
    let (output, _dir) = check_with(&spec);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for id in ["list_projects", "get_project"] {
        assert!(
            stderr.contains(&format!(
                "{id}: x-studio-cli names a command another operation has too"
            )),
            "{stderr}"
        );
    }
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_missing_or_malformed_cli_command_is_a_violation() {
    let mut spec = spec_value();
    operation(&mut spec, "/projects", "post").remove("x-studio-cli");
    assert_single_violation(&spec, "create_project: x-studio-cli is missing");
    let mut spec = spec_value();
    operation(&mut spec, "/projects", "post")
        .insert("x-studio-cli".into(), "Projects new thing".into());
    assert_single_violation(
        &spec,
        "create_project: x-studio-cli \"Projects new thing\" must be an area and a verb, \
         lower-case words joined by '-'",
    );
}

#[test]
fn a_job_type_that_is_not_a_job_type_value_is_a_violation() {
    let mut spec = spec_value();
    operation(&mut spec, "/frames/{frame_id}/image/generate", "post")
        .insert("x-studio-job-type".into(), "hologram".into());
    let (output, _dir) = check_with(&spec);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "generate_frame_image: x-studio-job-type \"hologram\" is not one of JobType's values: "
        ),
        "{stderr}"
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_spec_without_its_document_level_facts_is_a_violation() {
    let mut spec = spec_value();
    spec.as_mapping_mut().unwrap().remove("x-studio-quotas");
    assert_single_violation(
        &spec,
        "spec: the spec has no document-level x-studio-quotas",
    );
}
