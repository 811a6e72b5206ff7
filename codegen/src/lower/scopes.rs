//! The scope catalogue: every scope of the flows, of the requirements and of the model, with
//! descriptions (the model's override the SDD's), resolved implications and unique constant names.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostics::{Diagnostic, Diagnostics, Location, codes};
use crate::ir::{ScopeDef, SecurityProfile, SecuritySchemeKind};
use crate::load::LoadedSpec;
use crate::load::resolve::escape_pointer_token;
use crate::lower::naming::{NameTable, const_name};

/// Constant names the generated `scopes` module defines itself.
pub const RESERVED_CONST_NAMES: &[&str] = &["CATALOGUE"];

/// Builds the catalogue, sorted by URI. `used` maps scopes required by operations to the pointer
/// of their first use.
pub fn build_catalogue(
    loaded: &LoadedSpec,
    profile: &SecurityProfile,
    used: &BTreeMap<String, String>,
    diags: &mut Diagnostics,
) -> Vec<ScopeDef> {
    // URI → SDD description (first scheme by name wins).
    let mut declared: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    for scheme in &profile.schemes {
        if let SecuritySchemeKind::OAuth2 { scopes, .. } = &scheme.kind {
            for (uri, description) in scopes {
                let description = Some(description.as_str()).filter(|d| !d.trim().is_empty());
                let entry = declared.entry(uri.as_str()).or_insert(None);
                if entry.is_none() {
                    *entry = description;
                }
            }
        }
    }
    let mut uris: BTreeSet<&str> = declared.keys().copied().collect();
    uris.extend(used.keys().map(String::as_str));
    uris.extend(loaded.model.scopes.keys().map(String::as_str));

    for uri in loaded.model.scopes.keys() {
        if !declared.contains_key(uri.as_str()) && !used.contains_key(uri) {
            diags.push(
                Diagnostic::new(
                    codes::MODEL_SCOPE_UNUSED,
                    format!(
                        "scope `{uri}` is listed in the model but neither declared by a security scheme of the SDD nor required by any operation; it is kept in the catalogue"
                    ),
                    model_location(loaded, &format!("/scopes/{}", escape_pointer_token(uri))),
                )
                .with_help("check the spelling against the SDD's `components.securitySchemes`"),
            );
        }
    }

    let all: Vec<&str> = uris.iter().copied().collect();
    let names = const_names(&all);
    let mut out = Vec::with_capacity(all.len());
    for (uri, const_name) in all.iter().zip(names) {
        let model = loaded.model.scopes.get(*uri);
        let description = model
            .and_then(|m| m.description.clone())
            .or_else(|| declared.get(uri).copied().flatten().map(str::to_owned));
        let mut implies = BTreeSet::new();
        if let Some(model) = model {
            for (i, wanted) in model.implies.iter().enumerate() {
                let location = model_location(
                    loaded,
                    &format!("/scopes/{}/implies/{i}", escape_pointer_token(uri)),
                );
                match resolve_scope(wanted, &all) {
                    Ok(target) if target == *uri => diags.push(
                        Diagnostic::new(
                            codes::SCOPE_IMPLIES_ITSELF,
                            format!("scope `{uri}` lists itself in `implies`; ignored"),
                            location,
                        )
                        .with_help("remove the entry"),
                    ),
                    Ok(target) => {
                        implies.insert(target.to_owned());
                    }
                    Err(candidates) => diags.push(
                        Diagnostic::new(
                            codes::IMPLIES_UNRESOLVED,
                            if candidates.is_empty() {
                                format!("`implies` names unknown scope `{wanted}`")
                            } else {
                                format!(
                                    "`implies` entry `{wanted}` is ambiguous: it matches {}",
                                    candidates.join(", ")
                                )
                            },
                            location,
                        )
                        .with_help(
                            "write the full scope URI, or a name matching the last segment of exactly one scope of this service",
                        ),
                    ),
                }
            }
        }
        out.push(ScopeDef {
            uri: (*uri).to_owned(),
            const_name,
            description,
            implies: implies.into_iter().collect(),
        });
    }
    out
}

fn model_location(loaded: &LoadedSpec, pointer: &str) -> Location {
    match &loaded.model_path {
        Some(p) => Location::pointer(p, pointer),
        None => Location::None,
    }
}

/// The short name of a scope URI: its last path segment (`…/scope/roster.readonly` →
/// `roster.readonly`).
pub fn short_name(uri: &str) -> &str {
    let trimmed = uri.trim_end_matches('/');
    trimmed
        .rsplit(['/', '#', ':'])
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(trimmed)
}

/// A full URI, or a short name matching exactly one scope. `Err` lists the ambiguous candidates
/// (empty when nothing matches).
fn resolve_scope<'s>(wanted: &str, all: &[&'s str]) -> Result<&'s str, Vec<String>> {
    if let Some(exact) = all.iter().find(|u| **u == wanted) {
        return Ok(exact);
    }
    let matches: Vec<&str> = all
        .iter()
        .copied()
        .filter(|u| short_name(u) == wanted)
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        _ => Err(matches.into_iter().map(str::to_owned).collect()),
    }
}

/// Unique constant names for `uris` (sorted): from the last path segment; scopes whose names
/// collide take more segments until they differ; a numeric suffix is the last resort.
pub fn const_names(uris: &[&str]) -> Vec<String> {
    let segments: Vec<Vec<&str>> = uris
        .iter()
        .map(|u| {
            u.split(['/', '#', ':'])
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
        .collect();
    let name_with = |i: usize, k: usize| -> String {
        let segs = &segments[i];
        let start = segs.len().saturating_sub(k);
        const_name(&segs[start..].join("_"))
    };
    let mut depth = vec![1usize; uris.len()];
    loop {
        let names: Vec<String> = (0..uris.len()).map(|i| name_with(i, depth[i])).collect();
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        for n in &names {
            *count.entry(n.as_str()).or_default() += 1;
        }
        let mut grew = false;
        for i in 0..uris.len() {
            let clash = count.get(names[i].as_str()).copied().unwrap_or(0) > 1
                || RESERVED_CONST_NAMES.contains(&names[i].as_str());
            if clash && depth[i] < segments[i].len() {
                depth[i] += 1;
                grew = true;
            }
        }
        if !grew {
            let mut table = NameTable::new();
            for reserved in RESERVED_CONST_NAMES {
                table.reserve(reserved);
            }
            return names.iter().map(|n| table.insert(n)).collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn const_names_come_from_the_last_segment() {
        assert_eq!(
            const_names(&[
                "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly",
                "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly",
            ]),
            ["ROSTER_CORE_READONLY", "ROSTER_READONLY"]
        );
    }

    #[test]
    fn colliding_const_names_take_more_segments() {
        assert_eq!(
            const_names(&[
                "https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly",
                "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly",
                "https://purl.imsglobal.org/spec/or/v1p2/scope/other",
            ]),
            [
                "V1P1_SCOPE_ROSTER_READONLY",
                "V1P2_SCOPE_ROSTER_READONLY",
                "OTHER"
            ]
        );
    }

    #[test]
    fn identical_tails_fall_back_to_suffixes_and_reserved_names_are_avoided() {
        assert_eq!(const_names(&["a-b", "a_b"]), ["A_B", "A_B2"]);
        assert_eq!(
            const_names(&["https://e.org/catalogue"]),
            ["E_ORG_CATALOGUE"]
        );
        assert_eq!(const_names(&["catalogue"]), ["CATALOGUE2"]);
    }

    #[test]
    fn short_names_resolve_uniquely() {
        let all = ["https://e.org/s/a.readonly", "https://e.org/s/b.readonly"];
        assert_eq!(resolve_scope("a.readonly", &all), Ok(all[0]));
        assert_eq!(resolve_scope(all[1], &all), Ok(all[1]));
        assert!(resolve_scope("c", &all).is_err());
        let dup = ["https://e.org/v1/a", "https://e.org/v2/a"];
        assert_eq!(resolve_scope("a", &dup).map_err(|c| c.len()), Err(2));
    }
}
