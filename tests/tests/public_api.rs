//! A reviewed snapshot of the hand-written public API of both crates: what
//! each `lib.rs` re-exports, and every public item of every hand-written
//! module with its signature. (The generated builders and types are in
//! `surface.rs`'s snapshot.) Any change to either crate's API shows up as a
//! snapshot diff.

use quote::ToTokens;
use std::path::Path;
use syn::{ImplItem, Item, Visibility};

fn is_pub(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

/// Tokens as a reader writes them, on one line.
fn text(tokens: impl ToTokens) -> String {
    let text = tokens.to_token_stream().to_string();
    [
        (" :: ", "::"),
        (" < ", "<"),
        (" >", ">"),
        ("< ", "<"),
        (" ,", ","),
        ("& ", "&"),
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
    ]
    .iter()
    .fold(text, |t, (from, to)| t.replace(from, to))
}

/// The public items of one file, one line each.
fn public_items(items: &[Item], out: &mut Vec<String>) {
    for item in items {
        match item {
            Item::Use(u) if is_pub(&u.vis) => out.push(text(&u.tree).replace(' ', "")),
            Item::Fn(f) if is_pub(&f.vis) => out.push(text(&f.sig)),
            Item::Struct(s) if is_pub(&s.vis) => {
                let fields: Vec<String> = s
                    .fields
                    .iter()
                    .filter(|f| is_pub(&f.vis))
                    .map(|f| text(f.ident.as_ref().map_or(String::new(), |i| i.to_string())))
                    .collect();
                out.push(format!(
                    "struct {}{} {{{}}}",
                    s.ident,
                    text(&s.generics),
                    fields.join(", ")
                ));
            }
            Item::Enum(e) if is_pub(&e.vis) => {
                let variants: Vec<String> =
                    e.variants.iter().map(|v| v.ident.to_string()).collect();
                out.push(format!("enum {} {{{}}}", e.ident, variants.join(", ")));
            }
            Item::Trait(t) if is_pub(&t.vis) => {
                let methods: Vec<String> = t
                    .items
                    .iter()
                    .filter_map(|i| match i {
                        syn::TraitItem::Fn(f) => Some(text(&f.sig)),
                        _ => None,
                    })
                    .collect();
                out.push(format!("trait {}: {}", t.ident, methods.join("; ")));
            }
            Item::Type(t) if is_pub(&t.vis) => {
                out.push(format!("type {} = {}", t.ident, text(&t.ty)))
            }
            Item::Const(c) if is_pub(&c.vis) => {
                out.push(format!("const {}: {}", c.ident, text(&c.ty)))
            }
            Item::Impl(imp) => {
                let of = match &imp.trait_ {
                    Some((_, path, _)) => format!("impl {} for {}", text(path), text(&imp.self_ty)),
                    None => format!("impl {}", text(&imp.self_ty)),
                };
                let hidden = imp.attrs.iter().any(|a| text(a).contains("doc(hidden)"));
                if imp.trait_.is_some() && !hidden {
                    out.push(of.clone());
                }
                for item in &imp.items {
                    if let ImplItem::Fn(f) = item
                        && is_pub(&f.vis)
                    {
                        out.push(format!("{of}: {}", text(&f.sig)));
                    }
                }
            }
            Item::Mod(m) if is_pub(&m.vis) => {
                if let Some((_, inner)) = &m.content {
                    public_items(inner, out);
                }
            }
            _ => {}
        }
    }
}

fn crate_api(dir: &str) -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(dir)
        .join("src");
    let mut files: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name != "generated.rs" && name != "operations.rs"
        })
        .collect();
    files.sort();
    let mut out = String::new();
    for file in files {
        let parsed = syn::parse_file(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let mut lines = Vec::new();
        public_items(&parsed.items, &mut lines);
        out.push_str(&format!(
            "## {dir}/src/{}\n",
            file.file_name().unwrap().to_str().unwrap()
        ));
        for line in lines {
            out.push_str(&format!("{line}\n"));
        }
    }
    out
}

#[test]
fn public_api_of_both_crates() {
    insta::assert_snapshot!(format!(
        "{}\n{}",
        crate_api("studio-api"),
        crate_api("studio-api-blocking")
    ));
}
