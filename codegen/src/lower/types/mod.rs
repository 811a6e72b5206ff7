//! Schema → Rust type lowering: `components.schemas` and inline schemas become [`TypeDef`]s.
//!
//! Decisions made here (the emitter only renders them):
//!
//! - objects become structs; `additionalProperties` absent/`true` keeps unknown members in an
//!   extension map, a schema keeps them in a typed map, `false` rejects them;
//! - string enums become closed enums; the IMS extensible-enumeration pattern (`anyOf` of a string
//!   enum and a string with an `ext:` pattern) becomes an [`TypeDefKind::ExtensibleEnum`];
//! - `allOf` is merged into one struct; other `oneOf`/`anyOf` become untagged unions, most
//!   specific variant first;
//! - formats map to runtime newtypes ([`Primitive`]); `nullable` wraps in [`TypeRef::Nullable`];
//! - inline schemas that need a type are named `<parent><Property>` (deterministic, unique);
//! - recursion through non-collection fields is broken with [`TypeRef::Boxed`] (see the `recursion` module).
//!
//! Anything that cannot be lowered is an error diagnostic at its JSON pointer and lowers to
//! [`TypeRef::Any`]; generation then fails as a whole.

mod constraints;
mod recursion;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{
    AdditionalProperties as OaAdditional, IntegerFormat, NumberFormat, ReferenceOr, Schema,
    SchemaKind, StringFormat, Type, VariantOrUnknownOrEmpty,
};

use crate::diagnostics::{Diagnostic, Diagnostics, Location, codes};
use crate::ir::{
    AdditionalProperties, Constraints, EnumDef, EnumVariant, Field, Primitive, StructDef, TypeDef,
    TypeDefKind, TypeRef, UnionDef, UnionVariant,
};
use crate::load::resolve::{Resolved, Resolver, escape_pointer_token};
use crate::lower::naming::{NameTable, field_name, type_name, variant_name};

/// Turns SDD schemas into IR type definitions. See the module docs for the rules.
#[derive(Debug)]
pub struct TypeLowerer<'a> {
    resolver: Resolver<'a>,
    /// Rust names of the whole `models` module.
    names: NameTable,
    /// `components.schemas` key → Rust name (assigned up front in document order).
    component_names: BTreeMap<String, String>,
    /// Components lowered or being lowered (the latter matters for recursive schemas).
    components_started: BTreeSet<String>,
    /// Inline schemas already lowered, by JSON pointer (a schema lowered twice gives one type).
    inline_done: BTreeMap<String, TypeRef>,
    /// Finished definitions by Rust name.
    defs: BTreeMap<String, TypeDef>,
    components_lowered: bool,
    /// Patterns already checked, so each bad pattern is reported once.
    patterns_checked: BTreeSet<String>,
    /// Whether each pattern seen compiles with the `regex` crate (so it can be enforced).
    patterns_compile: BTreeMap<String, bool>,
}

/// What an inline schema needs: its own named type or just a reference to existing types.
enum Lowered {
    /// A reference (primitive, collection, named component, `Any`).
    Ref(TypeRef),
    /// A definition to be named.
    Def {
        kind: TypeDefKind,
        /// Whether the schema is `nullable`.
        nullable: bool,
    },
}

/// One part of an `allOf`, resolved.
struct ObjectPart<'a> {
    schema: &'a Schema,
    pointer: String,
}

impl<'a> TypeLowerer<'a> {
    /// A lowerer over the resolver's document. Component names are reserved here, in document
    /// order, so they win over names derived for inline schemas.
    pub fn new(resolver: Resolver<'a>) -> Self {
        let mut names = NameTable::new();
        let mut component_names = BTreeMap::new();
        if let Some(components) = &resolver.openapi().components {
            for key in components.schemas.keys() {
                let rust = names.insert(&type_name(key));
                component_names.insert(key.clone(), rust);
            }
        }
        Self {
            resolver,
            names,
            component_names,
            components_started: BTreeSet::new(),
            inline_done: BTreeMap::new(),
            defs: BTreeMap::new(),
            components_lowered: false,
            patterns_checked: BTreeSet::new(),
            patterns_compile: BTreeMap::new(),
        }
    }

    fn location(&self, pointer: &str) -> Location {
        Location::pointer(self.resolver.path(), pointer)
    }

    /// Lowers every `components.schemas` entry (once).
    pub fn lower_components(&mut self, diags: &mut Diagnostics) {
        if self.components_lowered {
            return;
        }
        self.components_lowered = true;
        let Some(components) = &self.resolver.openapi().components else {
            return;
        };
        let mut by_rust: BTreeMap<&str, &str> = BTreeMap::new();
        for key in components.schemas.keys() {
            let candidate = type_name(key);
            if let Some(first) = by_rust.get(candidate.as_str()) {
                let given = self
                    .component_names
                    .get(key)
                    .cloned()
                    .unwrap_or_else(|| candidate.clone());
                diags.push(
                    Diagnostic::new(
                        codes::TYPE_NAME_COLLISION,
                        format!(
                            "schemas `{first}` and `{key}` both map to the Rust name `{candidate}`; `{key}` is generated as `{given}`"
                        ),
                        self.location(&format!("/components/schemas/{}", escape_pointer_token(key))),
                    )
                    .with_help("rename one of the schemas if the suffixed name is unwanted"),
                );
            } else if let Some(given) = self.component_names.get(key) {
                by_rust.insert(given.as_str(), key.as_str());
            }
        }
        for (key, schema) in &components.schemas {
            match schema {
                ReferenceOr::Item(_) => {
                    self.ensure_component(key, diags);
                }
                // An alias (`A: {$ref: B}`): references to `A` resolve to `B`'s type. Still check
                // that the chain resolves so a dangling alias is reported.
                ReferenceOr::Reference { .. } => {
                    let pointer = format!("/components/schemas/{}", escape_pointer_token(key));
                    if let Err(d) = self.resolver.schema(schema, &pointer) {
                        diags.push(d);
                    }
                }
            }
        }
    }

    /// Lowers a schema found inline or by `$ref` at `pointer`; inline object/enum/union schemas
    /// become new named types using `name_hint` (e.g. `GetOrgsResponse`); returns how to refer to
    /// it.
    pub fn lower_schema(
        &mut self,
        schema: &'a ReferenceOr<Schema>,
        pointer: &str,
        name_hint: &str,
        diags: &mut Diagnostics,
    ) -> TypeRef {
        match schema {
            ReferenceOr::Item(item) => self.lower_inline(item, pointer, name_hint, diags),
            ReferenceOr::Reference { .. } => {
                let resolved = self.resolver.schema(schema, pointer);
                self.lower_reference(resolved, pointer, name_hint, diags)
            }
        }
    }

    /// Like [`TypeLowerer::lower_schema`], for the boxed schemas of properties and `items`.
    pub fn lower_boxed_schema(
        &mut self,
        schema: &'a ReferenceOr<Box<Schema>>,
        pointer: &str,
        name_hint: &str,
        diags: &mut Diagnostics,
    ) -> TypeRef {
        match schema {
            ReferenceOr::Item(item) => self.lower_inline(item, pointer, name_hint, diags),
            ReferenceOr::Reference { .. } => {
                let resolved = self.resolver.boxed_schema(schema, pointer);
                self.lower_reference(resolved, pointer, name_hint, diags)
            }
        }
    }

    /// The target of a `$ref`, or `Any` with the resolver's diagnostic (generation then fails).
    fn lower_reference(
        &mut self,
        resolved: Result<Resolved<'a, Schema>, Diagnostic>,
        pointer: &str,
        name_hint: &str,
        diags: &mut Diagnostics,
    ) -> TypeRef {
        match resolved {
            Ok(resolved) => {
                self.lower_resolved(resolved.item, resolved.name, pointer, name_hint, diags)
            }
            Err(d) => {
                diags.push(d);
                TypeRef::Any
            }
        }
    }

    /// All type definitions, sorted by Rust name, with recursion broken by `Box`.
    pub fn finish(self) -> Vec<TypeDef> {
        let mut defs: Vec<TypeDef> = self.defs.into_values().collect();
        recursion::box_recursive_fields(&mut defs);
        constraints::mark_validating(&mut defs);
        defs
    }

    /// The target of a `$ref`: a component (named type) or, defensively, an inline item.
    fn lower_resolved(
        &mut self,
        item: &'a Schema,
        component: Option<&'a str>,
        pointer: &str,
        name_hint: &str,
        diags: &mut Diagnostics,
    ) -> TypeRef {
        match component {
            Some(key) => {
                let named = self.ensure_component(key, diags);
                if item.schema_data.nullable {
                    TypeRef::Nullable(Box::new(named))
                } else {
                    named
                }
            }
            None => self.lower_inline(item, pointer, name_hint, diags),
        }
    }

    /// Lowers component `key` unless already done or in progress; returns its reference.
    fn ensure_component(&mut self, key: &str, diags: &mut Diagnostics) -> TypeRef {
        let Some(rust) = self.component_names.get(key).cloned() else {
            return TypeRef::Any;
        };
        if !self.components_started.insert(key.to_owned()) {
            return TypeRef::Named(rust);
        }
        let components = self.resolver.openapi().components.as_ref();
        let Some((key_ref, ReferenceOr::Item(schema))) =
            components.and_then(|c| c.schemas.get_key_value(key))
        else {
            return TypeRef::Named(rust);
        };
        let pointer = format!("/components/schemas/{}", escape_pointer_token(key));
        let (kind, constraints) = match self.lower_shape(schema, &pointer, &rust, diags) {
            // Scalars and arrays keep their schema name as a transparent newtype, which checks
            // the schema's constraints.
            Lowered::Ref(inner) => {
                let constraints = self.schema_constraints(schema, &pointer, diags);
                (TypeDefKind::Newtype(inner), constraints)
            }
            Lowered::Def { kind, .. } => (kind, Constraints::default()),
        };
        self.defs.insert(
            rust.clone(),
            TypeDef {
                name: rust.clone(),
                schema_name: Some(key_ref.clone()),
                pointer,
                doc: doc_of(schema),
                deprecated: schema.schema_data.deprecated,
                kind,
                constraints,
                validates: false,
            },
        );
        TypeRef::Named(rust)
    }

    /// An inline schema: a reference, or a new named type called after `name_hint`.
    fn lower_inline(
        &mut self,
        schema: &'a Schema,
        pointer: &str,
        name_hint: &str,
        diags: &mut Diagnostics,
    ) -> TypeRef {
        if let Some(done) = self.inline_done.get(pointer) {
            return done.clone();
        }
        // Shapes that need a type of their own get their name before lowering, so nested inline
        // types are named after it.
        let reserved = needs_definition(schema).then(|| self.names.insert(&type_name(name_hint)));
        let shape_name = reserved.clone().unwrap_or_else(|| name_hint.to_owned());
        let result = match self.lower_shape(schema, pointer, &shape_name, diags) {
            Lowered::Ref(r) => r,
            Lowered::Def { kind, nullable } => {
                // `needs_definition` and `lower_shape` agree, but stay safe if they ever drift.
                let rust = reserved.unwrap_or_else(|| self.names.insert(&type_name(name_hint)));
                self.defs.insert(
                    rust.clone(),
                    TypeDef {
                        name: rust.clone(),
                        schema_name: None,
                        pointer: pointer.to_owned(),
                        doc: doc_of(schema),
                        deprecated: schema.schema_data.deprecated,
                        kind,
                        constraints: Constraints::default(),
                        validates: false,
                    },
                );
                nullable_if(nullable, TypeRef::Named(rust))
            }
        };
        self.inline_done.insert(pointer.to_owned(), result.clone());
        result
    }

    /// The core: what a schema is. `name` is the type's own Rust name (or the hint for
    /// definition-less schemas), used to name inline children.
    fn lower_shape(
        &mut self,
        schema: &'a Schema,
        pointer: &str,
        name: &str,
        diags: &mut Diagnostics,
    ) -> Lowered {
        let nullable = schema.schema_data.nullable;
        match &schema.schema_kind {
            SchemaKind::Type(Type::String(s)) => {
                self.check_pattern(s.pattern.as_deref(), pointer, diags);
                if s.enumeration.is_empty() {
                    let p = match &s.format {
                        VariantOrUnknownOrEmpty::Item(StringFormat::DateTime) => {
                            Primitive::DateTime
                        }
                        VariantOrUnknownOrEmpty::Item(StringFormat::Date) => Primitive::Date,
                        VariantOrUnknownOrEmpty::Item(StringFormat::Byte) => Primitive::Byte,
                        VariantOrUnknownOrEmpty::Item(StringFormat::Binary) => Primitive::Binary,
                        VariantOrUnknownOrEmpty::Unknown(f) => string_format(f),
                        _ => Primitive::String,
                    };
                    primitive(nullable, p)
                } else {
                    let has_null = s.enumeration.iter().any(Option::is_none);
                    let values: Vec<String> = s.enumeration.iter().flatten().cloned().collect();
                    Lowered::Def {
                        kind: TypeDefKind::Enum(enum_def(&values, false)),
                        nullable: nullable || has_null,
                    }
                }
            }
            SchemaKind::Type(Type::Integer(i)) => primitive(
                nullable,
                integer_primitive(matches!(
                    i.format,
                    VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32)
                )),
            ),
            SchemaKind::Type(Type::Number(n)) => primitive(
                nullable,
                number_primitive(matches!(
                    n.format,
                    VariantOrUnknownOrEmpty::Item(NumberFormat::Float)
                )),
            ),
            SchemaKind::Type(Type::Boolean(_)) => primitive(nullable, Primitive::Bool),
            SchemaKind::Type(Type::Array(a)) => {
                let item = match &a.items {
                    Some(items) => self.lower_boxed_schema(
                        items,
                        &format!("{pointer}/items"),
                        &format!("{name}Item"),
                        diags,
                    ),
                    None => TypeRef::Any,
                };
                Lowered::Ref(nullable_if(nullable, TypeRef::Vec(Box::new(item))))
            }
            SchemaKind::Type(Type::Object(o)) => self.lower_object(
                &o.properties,
                &o.required,
                o.additional_properties.as_ref(),
                pointer,
                name,
                nullable,
                diags,
            ),
            SchemaKind::OneOf { one_of } => {
                self.lower_union(one_of, &format!("{pointer}/oneOf"), name, nullable, diags)
            }
            SchemaKind::AnyOf { any_of } => {
                self.lower_union(any_of, &format!("{pointer}/anyOf"), name, nullable, diags)
            }
            SchemaKind::AllOf { all_of } => {
                self.lower_all_of(all_of, pointer, name, nullable, diags)
            }
            SchemaKind::Not { .. } => {
                diags.push(
                    Diagnostic::new(
                        codes::SCHEMA_NOT,
                        "`not` schemas have no Rust type",
                        self.location(pointer),
                    )
                    .with_help(
                        "describe the allowed values positively (a type, an enum or a oneOf)",
                    ),
                );
                Lowered::Ref(TypeRef::Any)
            }
            SchemaKind::Any(any) => self.lower_any(schema, any, pointer, name, diags),
        }
    }

    /// A schema without a single recognised `type` (openapiv3's catch-all).
    fn lower_any(
        &mut self,
        schema: &'a Schema,
        any: &'a openapiv3::AnySchema,
        pointer: &str,
        name: &str,
        diags: &mut Diagnostics,
    ) -> Lowered {
        let nullable = schema.schema_data.nullable;
        if any.not.is_some() {
            diags.push(
                Diagnostic::new(
                    codes::SCHEMA_NOT,
                    "`not` schemas have no Rust type",
                    self.location(pointer),
                )
                .with_help("describe the allowed values positively (a type, an enum or a oneOf)"),
            );
            return Lowered::Ref(TypeRef::Any);
        }
        if !any.all_of.is_empty() {
            return self.lower_all_of(&any.all_of, pointer, name, nullable, diags);
        }
        if !any.one_of.is_empty() {
            return self.lower_union(
                &any.one_of,
                &format!("{pointer}/oneOf"),
                name,
                nullable,
                diags,
            );
        }
        if !any.any_of.is_empty() {
            return self.lower_union(
                &any.any_of,
                &format!("{pointer}/anyOf"),
                name,
                nullable,
                diags,
            );
        }
        let typ = any.typ.as_deref();
        if typ == Some("object")
            || !any.properties.is_empty()
            || any.additional_properties.is_some()
        {
            return self.lower_object(
                &any.properties,
                &any.required,
                any.additional_properties.as_ref(),
                pointer,
                name,
                nullable,
                diags,
            );
        }
        if typ == Some("array") || any.items.is_some() {
            let item = match &any.items {
                Some(items) => self.lower_boxed_schema(
                    items,
                    &format!("{pointer}/items"),
                    &format!("{name}Item"),
                    diags,
                ),
                None => TypeRef::Any,
            };
            return Lowered::Ref(nullable_if(nullable, TypeRef::Vec(Box::new(item))));
        }
        match typ {
            None => {
                if !any.enumeration.is_empty() {
                    return self.lower_untyped_enum(&any.enumeration, pointer, nullable, diags);
                }
                // No type at all: any JSON value (e.g. `{}` or a description-only schema).
                Lowered::Ref(TypeRef::Any)
            }
            Some("string") => {
                self.check_pattern(any.pattern.as_deref(), pointer, diags);
                if !any.enumeration.is_empty() {
                    return self.lower_untyped_enum(&any.enumeration, pointer, nullable, diags);
                }
                let p = any
                    .format
                    .as_deref()
                    .map_or(Primitive::String, string_format);
                primitive(nullable, p)
            }
            Some("integer") => primitive(
                nullable,
                integer_primitive(any.format.as_deref() == Some("int32")),
            ),
            Some("number") => primitive(
                nullable,
                number_primitive(any.format.as_deref() == Some("float")),
            ),
            Some("boolean") => primitive(nullable, Primitive::Bool),
            Some(other) => {
                diags.push(
                    Diagnostic::new(
                        codes::SCHEMA_TYPE_UNKNOWN,
                        format!("unknown schema type `{other}`"),
                        self.location(&format!("{pointer}/type")),
                    )
                    .with_help(
                        "OpenAPI 3.0 types are string, number, integer, boolean, array and object",
                    ),
                );
                Lowered::Ref(TypeRef::Any)
            }
        }
    }

    /// An `enum` whose values are JSON values (openapiv3 keeps them untyped in its catch-all).
    fn lower_untyped_enum(
        &mut self,
        values: &[serde_json::Value],
        pointer: &str,
        nullable: bool,
        diags: &mut Diagnostics,
    ) -> Lowered {
        let mut strings = Vec::new();
        let mut has_null = false;
        for (i, v) in values.iter().enumerate() {
            match v {
                serde_json::Value::String(s) => strings.push(s.clone()),
                serde_json::Value::Null => has_null = true,
                other => diags.push(
                    Diagnostic::new(
                        codes::ENUM_VALUE_NOT_STRING,
                        format!("enum value {other} is not a string"),
                        self.location(&format!("{pointer}/enum/{i}")),
                    )
                    .with_help(
                        "only string enumerations are supported; quote the value (e.g. \"true\")",
                    ),
                ),
            }
        }
        Lowered::Def {
            kind: TypeDefKind::Enum(enum_def(&strings, false)),
            nullable: nullable || has_null,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn lower_object(
        &mut self,
        properties: &'a indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &[String],
        additional: Option<&'a OaAdditional>,
        pointer: &str,
        name: &str,
        nullable: bool,
        diags: &mut Diagnostics,
    ) -> Lowered {
        let additional_ir = self.lower_additional(additional, pointer, name, diags);
        if properties.is_empty() {
            // A property-less object is a map; only a named component needs a struct.
            let value = match &additional_ir {
                AdditionalProperties::Typed(t) => t.clone(),
                AdditionalProperties::Preserve | AdditionalProperties::Forbidden => TypeRef::Any,
            };
            if additional_ir == AdditionalProperties::Forbidden {
                // `{type: object, additionalProperties: false}` admits only `{}`: an empty struct.
                return Lowered::Def {
                    kind: TypeDefKind::Struct(StructDef {
                        fields: Vec::new(),
                        additional: AdditionalProperties::Forbidden,
                        extensions_field: None,
                    }),
                    nullable,
                };
            }
            return Lowered::Ref(nullable_if(nullable, TypeRef::Map(Box::new(value))));
        }
        let mut fields = Vec::new();
        let mut table = NameTable::new();
        self.push_fields(
            properties,
            required,
            pointer,
            name,
            &mut table,
            &mut fields,
            diags,
        );
        Lowered::Def {
            kind: TypeDefKind::Struct(StructDef {
                extensions_field: extensions_field(&additional_ir, &mut table),
                fields,
                additional: additional_ir,
            }),
            nullable,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push_fields(
        &mut self,
        properties: &'a indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &[String],
        pointer: &str,
        name: &str,
        table: &mut NameTable,
        fields: &mut Vec<Field>,
        diags: &mut Diagnostics,
    ) {
        for (wire, prop) in properties {
            if fields.iter().any(|f: &Field| &f.wire_name == wire) {
                // Same property in two allOf parts: the first declaration wins.
                continue;
            }
            let prop_pointer = format!("{pointer}/properties/{}", escape_pointer_token(wire));
            let hint = format!("{name}_{}", type_name(wire));
            let ty = self.lower_boxed_schema(prop, &prop_pointer, &hint, diags);
            let (doc, deprecated, constraints) = match prop {
                ReferenceOr::Item(s) => (
                    doc_of(s),
                    s.schema_data.deprecated,
                    self.schema_constraints(s, &prop_pointer, diags),
                ),
                // A referenced schema is a generated type that checks its own constraints.
                ReferenceOr::Reference { .. } => (None, false, Constraints::default()),
            };
            fields.push(Field {
                rust_name: table.insert(&field_name(wire)),
                wire_name: wire.clone(),
                ty,
                required: required.iter().any(|r| r == wire),
                doc,
                deprecated,
                constraints,
            });
        }
    }

    fn lower_additional(
        &mut self,
        additional: Option<&'a OaAdditional>,
        pointer: &str,
        name: &str,
        diags: &mut Diagnostics,
    ) -> AdditionalProperties {
        match additional {
            None | Some(OaAdditional::Any(true)) => AdditionalProperties::Preserve,
            Some(OaAdditional::Any(false)) => AdditionalProperties::Forbidden,
            Some(OaAdditional::Schema(s)) => {
                let t = self.lower_schema(
                    s,
                    &format!("{pointer}/additionalProperties"),
                    &format!("{name}Value"),
                    diags,
                );
                if t == TypeRef::Any {
                    AdditionalProperties::Preserve
                } else {
                    AdditionalProperties::Typed(t)
                }
            }
        }
    }

    /// `allOf`: one part is just that part; object parts merge into one struct.
    fn lower_all_of(
        &mut self,
        all_of: &'a [ReferenceOr<Schema>],
        pointer: &str,
        name: &str,
        nullable: bool,
        diags: &mut Diagnostics,
    ) -> Lowered {
        if let [only] = all_of {
            let t = self.lower_schema(only, &format!("{pointer}/allOf/0"), name, diags);
            return Lowered::Ref(nullable_if(nullable, t));
        }
        let mut parts = Vec::new();
        self.collect_all_of(all_of, &format!("{pointer}/allOf"), &mut parts, 0, diags);
        let mut fields = Vec::new();
        let mut table = NameTable::new();
        let mut additional: Option<AdditionalProperties> = None;
        for part in &parts {
            let (properties, required, extra) = match &part.schema.schema_kind {
                SchemaKind::Type(Type::Object(o)) => {
                    (&o.properties, &o.required, o.additional_properties.as_ref())
                }
                SchemaKind::Any(a)
                    if a.one_of.is_empty()
                        && a.any_of.is_empty()
                        && a.items.is_none()
                        && matches!(a.typ.as_deref(), None | Some("object")) =>
                {
                    (&a.properties, &a.required, a.additional_properties.as_ref())
                }
                _ => {
                    diags.push(
                        Diagnostic::new(
                            codes::ALL_OF_UNMERGEABLE,
                            "this `allOf` part is not an object, so it cannot be merged into one struct",
                            self.location(&part.pointer),
                        )
                        .with_help("allOf is supported for object schemas (merged) or a single schema; use oneOf/anyOf for alternatives"),
                    );
                    continue;
                }
            };
            let part_additional = self.lower_additional(extra, &part.pointer, name, diags);
            additional = Some(match (additional, part_additional) {
                (None, a) => a,
                // Closed only if every part is closed; a typed map wins over "preserve".
                (Some(AdditionalProperties::Forbidden), AdditionalProperties::Forbidden) => {
                    AdditionalProperties::Forbidden
                }
                (Some(AdditionalProperties::Typed(t)), _)
                | (Some(_), AdditionalProperties::Typed(t)) => AdditionalProperties::Typed(t),
                _ => AdditionalProperties::Preserve,
            });
            self.push_fields(
                properties,
                required,
                &part.pointer,
                name,
                &mut table,
                &mut fields,
                diags,
            );
            // A property listed as required in one part and declared in another is required.
            for f in &mut fields {
                if required.iter().any(|r| r == &f.wire_name) {
                    f.required = true;
                }
            }
        }
        let additional = additional.unwrap_or(AdditionalProperties::Preserve);
        Lowered::Def {
            kind: TypeDefKind::Struct(StructDef {
                extensions_field: extensions_field(&additional, &mut table),
                fields,
                additional,
            }),
            nullable,
        }
    }

    /// Flattens nested `allOf`s and resolves `$ref`s into the list of object parts.
    fn collect_all_of(
        &mut self,
        all_of: &'a [ReferenceOr<Schema>],
        pointer: &str,
        out: &mut Vec<ObjectPart<'a>>,
        depth: usize,
        diags: &mut Diagnostics,
    ) {
        if depth > 32 {
            diags.push(Diagnostic::new(
                codes::ALL_OF_UNMERGEABLE,
                "`allOf` nested more than 32 levels deep (or through a $ref cycle)",
                self.location(pointer),
            ));
            return;
        }
        for (i, part) in all_of.iter().enumerate() {
            let part_pointer = format!("{pointer}/{i}");
            let (schema, at) = match part {
                ReferenceOr::Item(s) => (s, part_pointer),
                ReferenceOr::Reference { .. } => match self.resolver.schema(part, &part_pointer) {
                    Ok(r) => {
                        let at = r.name.map_or(part_pointer, |n| {
                            format!("/components/schemas/{}", escape_pointer_token(n))
                        });
                        (r.item, at)
                    }
                    Err(d) => {
                        diags.push(d);
                        continue;
                    }
                },
            };
            let nested = match &schema.schema_kind {
                SchemaKind::AllOf { all_of } => Some(all_of),
                SchemaKind::Any(a) if !a.all_of.is_empty() => Some(&a.all_of),
                _ => None,
            };
            match nested {
                Some(inner) => {
                    self.collect_all_of(inner, &format!("{at}/allOf"), out, depth + 1, diags)
                }
                None => out.push(ObjectPart {
                    schema,
                    pointer: at,
                }),
            }
        }
    }

    /// `oneOf`/`anyOf`: an IMS extensible enum, or an untagged union.
    fn lower_union(
        &mut self,
        members: &'a [ReferenceOr<Schema>],
        pointer: &str,
        name: &str,
        nullable: bool,
        diags: &mut Diagnostics,
    ) -> Lowered {
        if let Some((values, pattern)) = self.extensible_enum_values(members, pointer) {
            if !is_canonical_ext_pattern(&pattern) {
                diags.push(
                    Diagnostic::new(
                        codes::EXT_PATTERN_NOT_IMS,
                        format!(
                            "extension pattern `{pattern}` differs from the IMS pattern `(ext:)[a-zA-Z0-9\\.\\-_]+`; generated code accepts `ext:` followed by ASCII letters, digits, `.`, `-`, `_`"
                        ),
                        self.location(pointer),
                    )
                    .with_help("use the IMS pattern, or validate the narrower rule in your handler"),
                );
            }
            return Lowered::Def {
                kind: TypeDefKind::ExtensibleEnum(enum_def(&values, true)),
                nullable,
            };
        }
        if let [only] = members {
            let t = self.lower_schema(only, &format!("{pointer}/0"), name, diags);
            return Lowered::Ref(nullable_if(nullable, t));
        }
        let mut lowered: Vec<(usize, TypeRef)> = Vec::new();
        for (i, m) in members.iter().enumerate() {
            let t = self.lower_schema(
                m,
                &format!("{pointer}/{i}"),
                &format!("{name}Variant{}", i + 1),
                diags,
            );
            if !lowered.iter().any(|(_, seen)| *seen == t) {
                lowered.push((i, t));
            }
        }
        // Untagged enums take the first variant that deserializes: most specific first, then
        // document order.
        lowered.sort_by_key(|(i, t)| (self.specificity(t), *i));
        // Objects are boxed so a union of a large struct and a string stays small (clippy's
        // `large_enum_variant`); string enums are as small as the other variants.
        for (_, t) in &mut lowered {
            let small = match &*t {
                TypeRef::Named(n) => matches!(
                    self.defs.get(n).map(|d| &d.kind),
                    Some(TypeDefKind::Enum(_) | TypeDefKind::ExtensibleEnum(_))
                ),
                _ => true,
            };
            if !small {
                let inner = std::mem::replace(t, TypeRef::Any);
                *t = TypeRef::Boxed(Box::new(inner));
            }
        }
        let mut table = NameTable::new();
        let variants = lowered
            .into_iter()
            .map(|(_, ty)| UnionVariant {
                rust_name: table.insert(&variant_name(&variant_label(&ty))),
                ty,
            })
            .collect();
        Lowered::Def {
            kind: TypeDefKind::Union(UnionDef { variants }),
            nullable,
        }
    }

    /// Lower is more specific. Closed structs with many required fields come first; strings,
    /// maps and `Any` last because they accept the most.
    fn specificity(&self, t: &TypeRef) -> (u8, i64) {
        match t {
            TypeRef::Named(n) => match self.defs.get(n).map(|d| &d.kind) {
                Some(TypeDefKind::Struct(s)) => {
                    let required = s.fields.iter().filter(|f| f.required).count();
                    let closed = u8::from(s.additional != AdditionalProperties::Forbidden);
                    (closed, -i64::try_from(required).unwrap_or(i64::MAX))
                }
                Some(TypeDefKind::Enum(_)) => (2, 0),
                Some(TypeDefKind::ExtensibleEnum(_)) => (3, 0),
                Some(TypeDefKind::Newtype(inner)) => self.specificity(inner),
                Some(TypeDefKind::Union(_)) | None => (4, 0),
            },
            TypeRef::Boxed(inner) | TypeRef::Nullable(inner) => self.specificity(inner),
            TypeRef::Vec(_) => (2, 0),
            TypeRef::Primitive(p) => match p {
                Primitive::Bool | Primitive::I32 | Primitive::I64 => (2, 0),
                Primitive::F32 | Primitive::F64 => (3, 0),
                Primitive::DateTime | Primitive::Date | Primitive::Uuid | Primitive::Uri => (3, 0),
                Primitive::String | Primitive::Byte | Primitive::Binary => (5, 0),
            },
            TypeRef::Map(_) => (6, 0),
            TypeRef::Any => (7, 0),
        }
    }

    /// The IMS pattern: two string members, one with an `enum`, one with an `ext:` pattern.
    fn extensible_enum_values(
        &self,
        members: &'a [ReferenceOr<Schema>],
        pointer: &str,
    ) -> Option<(Vec<String>, String)> {
        if members.len() != 2 {
            return None;
        }
        let mut values = None;
        let mut ext_pattern: Option<String> = None;
        for (i, m) in members.iter().enumerate() {
            let schema = self
                .resolver
                .schema(m, &format!("{pointer}/{i}"))
                .ok()?
                .item;
            match &schema.schema_kind {
                SchemaKind::Type(Type::String(s)) if !s.enumeration.is_empty() => {
                    values = Some(s.enumeration.iter().flatten().cloned().collect::<Vec<_>>());
                }
                SchemaKind::Type(Type::String(s))
                    if s.pattern.as_deref().is_some_and(is_ext_pattern) =>
                {
                    ext_pattern = s.pattern.clone();
                }
                _ => return None,
            }
        }
        Some((values?, ext_pattern?))
    }

    /// Reports a `pattern` the `regex` crate cannot compile (look-around or backreferences, as
    /// in OneRoster Gradebook) once per schema: generated code cannot enforce it, so it stays
    /// documentation, and the warning says so and how to have it enforced. Whether each pattern
    /// compiles is remembered for [`TypeLowerer::schema_constraints`].
    fn check_pattern(&mut self, pattern: Option<&str>, pointer: &str, diags: &mut Diagnostics) {
        let Some(pattern) = pattern else { return };
        if !self.patterns_checked.insert(pointer.to_owned()) {
            return;
        }
        let compiled = regex::Regex::new(pattern);
        self.patterns_compile
            .insert(pattern.to_owned(), compiled.is_ok());
        if let Err(e) = compiled {
            let reason = e.to_string().lines().last().unwrap_or_default().to_owned();
            diags.push(
                Diagnostic::new(
                    codes::PATTERN_UNSUPPORTED,
                    format!("pattern `{pattern}` is not supported by the Rust regex engine ({reason}); generated servers and clients do not enforce it"),
                    self.location(&format!("{pointer}/pattern")),
                )
                .with_help("rewrite the pattern without look-around or backreferences to have it enforced, or check the value in your handler"),
            );
        }
    }
}

/// Whether an inline schema becomes a named type of its own.
fn needs_definition(schema: &Schema) -> bool {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => !s.enumeration.is_empty(),
        SchemaKind::Type(Type::Object(o)) => {
            !o.properties.is_empty()
                || matches!(o.additional_properties, Some(OaAdditional::Any(false)))
        }
        SchemaKind::Type(_) => false,
        SchemaKind::OneOf { one_of: m } | SchemaKind::AnyOf { any_of: m } => m.len() > 1,
        SchemaKind::AllOf { all_of } => all_of.len() > 1,
        SchemaKind::Not { .. } => false,
        SchemaKind::Any(a) => {
            a.all_of.len() > 1
                || a.one_of.len() > 1
                || a.any_of.len() > 1
                || !a.properties.is_empty()
                || matches!(a.additional_properties, Some(OaAdditional::Any(false)))
                    && a.all_of.is_empty()
                    && a.one_of.is_empty()
                    && a.any_of.is_empty()
                || !a.enumeration.is_empty()
                    && a.items.is_none()
                    && a.all_of.is_empty()
                    && a.one_of.is_empty()
                    && a.any_of.is_empty()
                    && matches!(a.typ.as_deref(), None | Some("string"))
        }
    }
}

/// The IMS extension pattern, e.g. `(ext:)[a-zA-Z0-9\.\-_]+` (with or without anchors).
fn is_ext_pattern(pattern: &str) -> bool {
    let p = pattern.trim_start_matches('^');
    p.starts_with("(ext:)") || p.starts_with("ext:")
}

/// Whether `pattern` is the IMS extension pattern the runtime enforces (anchors optional).
fn is_canonical_ext_pattern(pattern: &str) -> bool {
    let p = pattern.strip_prefix('^').unwrap_or(pattern);
    let p = p.strip_suffix('$').unwrap_or(p);
    matches!(
        p,
        r"(ext:)[a-zA-Z0-9\.\-_]+" | r"ext:[a-zA-Z0-9\.\-_]+" | r"(ext:)[a-zA-Z0-9.\-_]+"
    )
}

fn string_format(format: &str) -> Primitive {
    match format {
        "date-time" => Primitive::DateTime,
        "date" => Primitive::Date,
        "uri" => Primitive::Uri,
        "uuid" => Primitive::Uuid,
        "byte" => Primitive::Byte,
        "binary" => Primitive::Binary,
        // Other formats (email, uri-reference, password, ...) are documentation: plain text.
        _ => Primitive::String,
    }
}

/// A primitive type, in an `Option` when the schema is `nullable`.
fn primitive(nullable: bool, p: Primitive) -> Lowered {
    Lowered::Ref(nullable_if(nullable, TypeRef::Primitive(p)))
}

/// `integer` is `i32` with `format: int32`, else `i64` (the JSON Schema default range).
fn integer_primitive(int32: bool) -> Primitive {
    if int32 {
        Primitive::I32
    } else {
        Primitive::I64
    }
}

/// `number` is `f32` with `format: float`, else `f64`.
fn number_primitive(float: bool) -> Primitive {
    if float {
        Primitive::F32
    } else {
        Primitive::F64
    }
}

fn nullable_if(nullable: bool, t: TypeRef) -> TypeRef {
    if nullable && !matches!(t, TypeRef::Nullable(_) | TypeRef::Any) {
        TypeRef::Nullable(Box::new(t))
    } else {
        t
    }
}

/// The name of a struct's extension map, claimed after its fields (`fields` holds their names):
/// a property called `extensions` keeps its name and the map becomes `extensions2`.
fn extensions_field(additional: &AdditionalProperties, fields: &mut NameTable) -> Option<String> {
    match additional {
        AdditionalProperties::Forbidden => None,
        AdditionalProperties::Preserve | AdditionalProperties::Typed(_) => {
            Some(fields.insert("extensions"))
        }
    }
}

fn enum_def(values: &[String], extensible: bool) -> EnumDef {
    let mut table = NameTable::new();
    // The catch-all variant of extensible enums, claimed first so a listed value never takes it.
    let ext_variant = extensible.then(|| table.insert("Ext"));
    let mut seen = BTreeSet::new();
    let variants = values
        .iter()
        .filter(|v| seen.insert(v.as_str()))
        .map(|v| EnumVariant {
            rust_name: table.insert(&variant_name(v)),
            wire: v.clone(),
            doc: None,
        })
        .collect();
    EnumDef {
        variants,
        ext_variant,
    }
}

/// A readable variant name for a union member.
fn variant_label(t: &TypeRef) -> String {
    match t {
        TypeRef::Named(n) => n.clone(),
        TypeRef::Primitive(p) => format!("{p:?}"),
        TypeRef::Vec(inner) => format!("{}List", variant_label(inner)),
        TypeRef::Map(inner) => format!("{}Map", variant_label(inner)),
        TypeRef::Boxed(inner) | TypeRef::Nullable(inner) => variant_label(inner),
        TypeRef::Any => "Any".to_owned(),
    }
}

/// `title` and `description`, joined by a blank line.
fn doc_of(schema: &Schema) -> Option<String> {
    let parts: Vec<&str> = [&schema.schema_data.title, &schema.schema_data.description]
        .into_iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("\n\n"))
    }
}
