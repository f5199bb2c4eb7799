//! The scaled specs of `cargo xtask bench-build` pass the rules and codegen.

use serde_yaml::Value;
use xtask::bench_build::synthesize;
use xtask::{SPEC_PATH, generate, workspace_root};

fn spec_value() -> Value {
    let text = std::fs::read_to_string(workspace_root().join(SPEC_PATH)).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

#[test]
fn factor_one_is_the_spec_unchanged() {
    let spec = spec_value();
    assert_eq!(synthesize(&spec, 1).unwrap(), spec);
}

#[test]
fn factor_two_doubles_the_operations_under_copy_names() {
    let spec = synthesize(&spec_value(), 2).unwrap();
    let copy = &spec["paths"]["/copy2/projects/{project_id}"]["get"];
    assert_eq!(copy["operationId"], "get_project_copy2");
    assert_eq!(
        spec["paths"]["/projects/{project_id}"]["get"]["operationId"],
        "get_project"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("studio.yaml");
    std::fs::write(&path, serde_yaml::to_string(&spec).unwrap()).unwrap();
    let files = generate(&path).unwrap_or_else(|e| panic!("codegen failed: {e:?}"));
    let table = files
        .iter()
        .find(|f| f.path == "studio-api/src/operations.rs")
        .unwrap();
    let entries = table
        .contents
        .lines()
        .filter(|l| l.trim() == "Operation {")
        .count();
    assert_eq!(entries, 132);
    assert!(table.contents.contains(r#"id: "get_project_copy2","#));
    assert!(
        table
            .contents
            .contains(r#"path: "/copy2/projects/{project_id}","#)
    );
}
