//! `security` requirements → [`ScopeRequirement`] (any-of of all-of).
//!
//! Rules:
//! - the operation's `security` overrides the top-level one; none at all, `security: []` or
//!   `security: [{}]` means public;
//! - an empty object `{}` among other requirement objects makes authentication optional (OpenAPI);
//!   the generated code is secured by the other objects unless the model's `security.public`
//!   makes the operation public, and then the SDD served at discovery says `security: []` for it
//!   (secured: the `{}` is left out), so the served document describes what the server does;
//! - the model may only make public an operation whose SDD security allows anonymous calls: one
//!   the SDD secures outright is an error (IMS0516), never a silently dropped scope;
//! - requirement objects are alternatives (OR);
//! - inside one object, schemes are all needed (AND); the scopes listed for one scheme combine as
//!   the model's `security.same_requirement_scopes` says: `all` (OpenAPI) needs every one, `any`
//!   (the IMS bindings' intent, e.g. OneRoster core vs full) makes each scope its own alternative;
//! - a scheme with no scopes (HTTP bearer, or OAuth 2 with `[]`) adds an empty group: any
//!   authenticated caller passes;
//! - groups are sorted and deduplicated, and a group that contains another group is dropped
//!   (`a OR (a AND b)` is `a`).

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::SecurityRequirement;

use crate::diagnostics::{Diagnostic, Diagnostics, Location, codes};
use crate::ir::{ScopeRequirement, SecurityProfile, SecuritySchemeKind};
use crate::load::LoadedSpec;
use crate::load::resolve::escape_pointer_token;
use crate::spec_model::{PUBLIC_ALL, PublicOperations, SameRequirementScopes};

/// Most alternative groups one requirement may expand to before it is refused.
const MAX_GROUPS: usize = 4096;

/// Lowers the security requirements of every operation of one service and remembers which scopes
/// were used, for the catalogue.
#[derive(Debug)]
pub struct RequirementLowering<'a> {
    loaded: &'a LoadedSpec,
    profile: &'a SecurityProfile,
    /// Scope URI → JSON pointer of its first use.
    used: BTreeMap<String, String>,
    /// Pointers of requirement objects whose several scopes were turned into alternatives.
    split_objects: BTreeSet<String>,
    /// (scheme, scope) pairs already reported as undeclared.
    undeclared: BTreeSet<(String, String)>,
    /// Operation ids the model's `security.public` lists, and whether an operation had that id.
    public_listed: BTreeMap<String, bool>,
    /// The served SDD's `security` of each operation whose security the model's choice changed
    /// (operation pointer → requirement list).
    served_security: BTreeMap<String, serde_json::Value>,
    /// Whether an operation was made public while the model gives no reason.
    reason_missing: bool,
}

/// The security of one operation, decided.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoweredRequirement {
    /// Who may call it.
    pub scopes: ScopeRequirement,
    /// Why it is public although the SDD also describes a secured way to call it (the model's
    /// `security.public.reason`); `None` for a secured operation or one the SDD itself leaves
    /// public.
    pub public_reason: Option<String>,
}

/// What [`RequirementLowering::finish`] hands on.
#[derive(Debug, Default)]
pub struct Requirements {
    /// Every scope used: URI → JSON pointer of its first use.
    pub used: BTreeMap<String, String>,
    /// Operation pointer → the `security` the served SDD gives it, where the model changed it.
    pub served_security: BTreeMap<String, serde_json::Value>,
}

impl<'a> RequirementLowering<'a> {
    /// A lowering for one service.
    pub fn new(loaded: &'a LoadedSpec, profile: &'a SecurityProfile) -> Self {
        Self {
            loaded,
            profile,
            used: BTreeMap::new(),
            split_objects: BTreeSet::new(),
            undeclared: BTreeSet::new(),
            public_listed: match loaded.model.security.public.as_ref().map(|p| &p.operations) {
                Some(PublicOperations::Listed(ids)) => {
                    ids.iter().map(|id| (id.clone(), false)).collect()
                }
                _ => BTreeMap::new(),
            },
            served_security: BTreeMap::new(),
            reason_missing: false,
        }
    }

    /// Whether the model's `security.public` covers operation `id`.
    fn model_makes_public(&mut self, id: &str) -> bool {
        match self
            .loaded
            .model
            .security
            .public
            .as_ref()
            .map(|p| &p.operations)
        {
            Some(PublicOperations::Keyword(k)) => k == PUBLIC_ALL,
            Some(PublicOperations::Listed(_)) => match self.public_listed.get_mut(id) {
                Some(seen) => {
                    *seen = true;
                    true
                }
                None => false,
            },
            None => false,
        }
    }

    /// Where the model's public choice for `id` is written (for diagnostics).
    fn public_location(&self, id: &str) -> Location {
        let pointer = match self
            .loaded
            .model
            .security
            .public
            .as_ref()
            .map(|p| &p.operations)
        {
            Some(PublicOperations::Listed(ids)) => match ids.iter().position(|i| i == id) {
                Some(i) => format!("/security/public/operations/{i}"),
                None => "/security/public/operations".to_owned(),
            },
            _ => "/security/public/operations".to_owned(),
        };
        match &self.loaded.model_path {
            Some(p) => Location::pointer(p, pointer),
            None => Location::None,
        }
    }

    /// The security of operation `id` at `op_pointer`, whose own `security` is `own`.
    pub fn lower(
        &mut self,
        own: Option<&Vec<SecurityRequirement>>,
        id: &str,
        op_pointer: &str,
        diags: &mut Diagnostics,
    ) -> LoweredRequirement {
        let made_public = self.model_makes_public(id);
        let (list, pointer) = match own {
            Some(list) => (list, format!("{op_pointer}/security")),
            None => match &self.loaded.openapi.security {
                Some(list) => (list, "/security".to_owned()),
                None => return LoweredRequirement::default(),
            },
        };
        if list.iter().all(|object| object.is_empty()) {
            // `[]` or `[{}]`: the SDD itself leaves the operation public.
            return LoweredRequirement::default();
        }
        let path = &self.loaded.sdd_path;
        let mut groups: Vec<Vec<String>> = Vec::new();
        let mut optional_at: Option<String> = None;
        for (i, object) in list.iter().enumerate() {
            let object_pointer = format!("{pointer}/{i}");
            if object.is_empty() {
                optional_at = Some(object_pointer);
                continue;
            }
            // Alternatives contributed by this object: cartesian product over its schemes.
            let mut alternatives: Vec<Vec<String>> = vec![Vec::new()];
            for (scheme, scopes) in object {
                let scheme_pointer = format!("{object_pointer}/{}", escape_pointer_token(scheme));
                let Some(options) = self.scheme_options(scheme, scopes, &scheme_pointer, diags)
                else {
                    continue;
                };
                let mut next = Vec::with_capacity(alternatives.len() * options.len());
                for alt in &alternatives {
                    for opt in &options {
                        let mut combined = alt.clone();
                        combined.extend(opt.iter().cloned());
                        next.push(combined);
                    }
                }
                if next.len() > MAX_GROUPS {
                    diags.push(
                        Diagnostic::new(
                            codes::REQUIREMENT_TOO_LARGE,
                            format!(
                                "this security requirement expands to more than {MAX_GROUPS} scope alternatives"
                            ),
                            Location::pointer(path, &object_pointer),
                        )
                        .with_help("split the requirement into fewer scopes, or set `security.same_requirement_scopes: all` in the model"),
                    );
                    return LoweredRequirement::default();
                }
                alternatives = next;
            }
            groups.extend(alternatives);
        }
        let public = self.loaded.model.security.public.as_ref();
        match (made_public, optional_at) {
            (true, Some(_)) => {
                let reason = public
                    .and_then(|p| p.reason.as_deref())
                    .map(str::trim)
                    .filter(|r| !r.is_empty());
                if reason.is_none() {
                    self.reason_missing = true;
                }
                self.served_security
                    .insert(op_pointer.to_owned(), serde_json::Value::Array(Vec::new()));
                return LoweredRequirement {
                    scopes: ScopeRequirement::default(),
                    public_reason: reason.map(str::to_owned),
                };
            }
            (true, None) => {
                diags.push(
                    Diagnostic::new(
                        codes::PUBLIC_OPERATION_SECURED,
                        format!(
                            "the model makes operation `{id}` public, but its SDD security at `{pointer}` requires a token (no empty requirement `{{}}` among the alternatives)"
                        ),
                        self.public_location(id),
                    )
                    .with_help("if the standard lets this operation be called without a token, add `{}` to its `security` list in the SDD; otherwise leave it out of `security.public.operations`"),
                );
            }
            (false, Some(at)) => {
                // The default is secured: serve the SDD without the anonymous alternative.
                let secured: Vec<&SecurityRequirement> =
                    list.iter().filter(|object| !object.is_empty()).collect();
                if let Ok(json) = serde_json::to_value(&secured) {
                    self.served_security.insert(op_pointer.to_owned(), json);
                }
                // A model with a `security.public` section chose; without one, say what happened.
                if public.is_none() {
                    diags.push(
                        Diagnostic::new(
                            codes::EMPTY_REQUIREMENT,
                            format!(
                                "the SDD allows anonymous calls to `{id}` (an empty requirement `{{}}`), but the model does not make it public: it is generated secured by the other requirements"
                            ),
                            Location::pointer(path, at),
                        )
                        .with_help("to serve it without a token, list it in the model: `security: {public: {operations: [<operationId>], reason: <why>}}`"),
                    );
                }
            }
            (false, None) => {}
        }
        LoweredRequirement {
            scopes: ScopeRequirement {
                any_of: normalize_groups(groups),
            },
            public_reason: None,
        }
    }

    /// The alternatives one `scheme: [scopes]` entry allows, or `None` after an error.
    fn scheme_options(
        &mut self,
        scheme: &str,
        scopes: &[String],
        pointer: &str,
        diags: &mut Diagnostics,
    ) -> Option<Vec<Vec<String>>> {
        let path = &self.loaded.sdd_path;
        let Some(declared) = self.profile.schemes.iter().find(|s| s.name == scheme) else {
            let known: Vec<&str> = self
                .profile
                .schemes
                .iter()
                .map(|s| s.name.as_str())
                .collect();
            diags.push(
                Diagnostic::new(
                    codes::REQUIREMENT_SCHEME_UNKNOWN,
                    format!("security requirement names unknown security scheme `{scheme}`"),
                    Location::pointer(path, pointer),
                )
                .with_help(if known.is_empty() {
                    "declare it under `components.securitySchemes`".to_owned()
                } else {
                    format!(
                        "declare it under `components.securitySchemes` or use one of: {}",
                        known.join(", ")
                    )
                }),
            );
            return None;
        };
        match &declared.kind {
            SecuritySchemeKind::OAuth2 {
                scopes: declared_scopes,
                ..
            } => {
                for (i, scope) in scopes.iter().enumerate() {
                    let scope_pointer = format!("{pointer}/{i}");
                    self.used
                        .entry(scope.clone())
                        .or_insert_with(|| scope_pointer.clone());
                    if !declared_scopes.contains_key(scope)
                        && self.undeclared.insert((scheme.to_owned(), scope.clone()))
                    {
                        diags.push(
                            Diagnostic::new(
                                codes::SCOPE_NOT_DECLARED,
                                format!(
                                    "scope `{scope}` is required here but not declared by the flows of security scheme `{scheme}`; it is kept in the requirement and the scope catalogue"
                                ),
                                Location::pointer(path, scope_pointer),
                            )
                            .with_help(format!(
                                "add it to `components.securitySchemes.{scheme}.flows.*.scopes`"
                            )),
                        );
                    }
                }
            }
            SecuritySchemeKind::OpenIdConnect { .. } => {
                for (i, scope) in scopes.iter().enumerate() {
                    self.used
                        .entry(scope.clone())
                        .or_insert_with(|| format!("{pointer}/{i}"));
                }
            }
            SecuritySchemeKind::Http { .. } | SecuritySchemeKind::ApiKey { .. } => {
                if !scopes.is_empty() {
                    diags.push(
                        Diagnostic::new(
                            codes::SCOPES_ON_NON_OAUTH_SCHEME,
                            format!(
                                "security scheme `{scheme}` is not OAuth 2 or OpenID Connect, so its scope list must be empty; the scopes are ignored"
                            ),
                            Location::pointer(path, pointer),
                        )
                        .with_help("write `[]` for this scheme"),
                    );
                }
                return Some(vec![Vec::new()]);
            }
        }
        if scopes.is_empty() {
            return Some(vec![Vec::new()]);
        }
        match self
            .loaded
            .model
            .security
            .same_requirement_scopes
            .unwrap_or_default()
        {
            SameRequirementScopes::All => Some(vec![scopes.to_vec()]),
            SameRequirementScopes::Any => {
                if scopes.len() > 1 {
                    self.split_objects.insert(pointer.to_owned());
                }
                Some(scopes.iter().map(|s| vec![s.clone()]).collect())
            }
        }
    }

    /// Reports, once per service, where scopes of one requirement object became alternatives and
    /// which operations of the model's `security.public` do not exist, and returns every scope
    /// used and the served security of the operations the model's choice changed.
    pub fn finish(self, diags: &mut Diagnostics) -> Requirements {
        if let Some(public) = &self.loaded.model.security.public {
            let model_location = |pointer: String| match &self.loaded.model_path {
                Some(p) => Location::pointer(p, pointer),
                None => Location::None,
            };
            if self.reason_missing {
                diags.push(
                    Diagnostic::new(
                        codes::PUBLIC_REASON_MISSING,
                        "the model makes operations public but gives no `security.public.reason`; the generated docs of each must say why it needs no token",
                        model_location("/security/public".to_owned()),
                    )
                    .with_help("add `reason:` saying where the standard allows calls without a token"),
                );
            }
            match &public.operations {
                PublicOperations::Keyword(k) if k != PUBLIC_ALL => diags.push(
                    Diagnostic::new(
                        codes::PUBLIC_OPERATION_UNKNOWN,
                        format!("`security.public.operations` is `{k}`: the only keyword is `{PUBLIC_ALL}`"),
                        model_location("/security/public/operations".to_owned()),
                    )
                    .with_help("write `all`, or a list of operationIds"),
                ),
                PublicOperations::Keyword(_) => {}
                PublicOperations::Listed(ids) => {
                    for (i, id) in ids.iter().enumerate() {
                        if self.public_listed.get(id) == Some(&false) {
                            diags.push(
                                Diagnostic::new(
                                    codes::PUBLIC_OPERATION_UNKNOWN,
                                    format!("`security.public.operations` names `{id}`, which is not an operationId of the SDD"),
                                    model_location(format!("/security/public/operations/{i}")),
                                )
                                .with_help("check the spelling against the SDD's operationIds"),
                            );
                        }
                    }
                }
            }
        }
        // Only when the model left the choice to the default: a model that says `any` (as the
        // bundled OneRoster models do) already knows, and a note on every run would be noise.
        if let Some(first) = self.split_objects.iter().next()
            && self.loaded.model.security.same_requirement_scopes.is_none()
        {
            diags.push(
                Diagnostic::new(
                    codes::REQUIREMENT_SCOPES_AS_ALTERNATIVES,
                    format!(
                        "{} security requirement(s) list several scopes for one scheme; each of those scopes alone is accepted (the IMS bindings' intent and ims-codegen's default; plain OpenAPI would demand all of them)",
                        self.split_objects.len()
                    ),
                    Location::pointer(&self.loaded.sdd_path, first),
                )
                .with_help("state it in a model: `security: {same_requirement_scopes: any}` keeps this and silences the note, `all` requires every listed scope"),
            );
        }
        Requirements {
            used: self.used,
            served_security: self.served_security,
        }
    }
}

/// Sorts and deduplicates each group and the list, then drops groups that contain another group.
pub fn normalize_groups(groups: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let sets: BTreeSet<BTreeSet<String>> = groups
        .into_iter()
        .map(|g| g.into_iter().collect())
        .collect();
    let minimal: Vec<&BTreeSet<String>> = sets
        .iter()
        .filter(|g| !sets.iter().any(|h| h != *g && h.is_subset(g)))
        .collect();
    let mut out: Vec<Vec<String>> = minimal
        .into_iter()
        .map(|g| g.iter().cloned().collect())
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::normalize_groups;

    fn v(groups: &[&[&str]]) -> Vec<Vec<String>> {
        groups
            .iter()
            .map(|g| g.iter().map(|s| (*s).to_owned()).collect())
            .collect()
    }

    #[test]
    fn groups_are_sorted_deduplicated_and_absorbed() {
        assert_eq!(
            normalize_groups(v(&[&["b", "a", "a"], &["c"], &["a", "b"], &["c", "d"]])),
            v(&[&["a", "b"], &["c"]])
        );
    }

    #[test]
    fn an_empty_group_absorbs_everything() {
        assert_eq!(normalize_groups(v(&[&["a"], &[]])), v(&[&[]]));
    }
}
