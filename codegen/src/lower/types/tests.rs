//! Lowering tests on small inline OpenAPI documents, asserting on the IR.

use std::path::Path;

use super::*;
use crate::diagnostics::Severity;

fn lower(yaml: &str) -> (Vec<TypeDef>, Diagnostics) {
    let api: openapiv3::OpenAPI = serde_yaml::from_str(yaml).expect("test document parses");
    let mut diags = Diagnostics::new();
    let resolver = Resolver::new(&api, Path::new("test.yaml"));
    let mut lowerer = TypeLowerer::new(resolver);
    lowerer.lower_components(&mut diags);
    (lowerer.finish(), diags)
}

fn doc(schemas: &str) -> String {
    let indented: String = schemas.lines().map(|l| format!("    {l}\n")).collect();
    format!(
        "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n{indented}"
    )
}

fn def<'d>(defs: &'d [TypeDef], name: &str) -> &'d TypeDef {
    defs.iter().find(|d| d.name == name).unwrap_or_else(|| {
        panic!(
            "no type {name}; have {:?}",
            defs.iter().map(|d| &d.name).collect::<Vec<_>>()
        )
    })
}

fn struct_of<'d>(defs: &'d [TypeDef], name: &str) -> &'d StructDef {
    match &def(defs, name).kind {
        TypeDefKind::Struct(s) => s,
        other => panic!("{name} is not a struct: {other:?}"),
    }
}

fn field<'d>(s: &'d StructDef, wire: &str) -> &'d Field {
    s.fields
        .iter()
        .find(|f| f.wire_name == wire)
        .unwrap_or_else(|| panic!("no field {wire}"))
}

fn named(n: &str) -> TypeRef {
    TypeRef::Named(n.to_owned())
}

fn prim(p: Primitive) -> TypeRef {
    TypeRef::Primitive(p)
}

fn assert_no_errors(diags: &Diagnostics) {
    assert!(!diags.has_errors(), "unexpected errors:\n{diags}");
}

#[test]
fn required_properties_are_required_fields_and_others_optional() {
    let (defs, diags) = lower(&doc(r"
Org:
  type: object
  required: [sourcedId]
  properties:
    sourcedId: {type: string}
    name: {type: string, description: The name.}
"));
    assert_no_errors(&diags);
    let s = struct_of(&defs, "Org");
    assert_eq!(s.fields.len(), 2);
    let id = field(s, "sourcedId");
    assert_eq!((id.rust_name.as_str(), id.required), ("sourced_id", true));
    let name = field(s, "name");
    assert!(!name.required);
    assert_eq!(name.doc.as_deref(), Some("The name."));
    assert_eq!(s.additional, AdditionalProperties::Preserve);
}

#[test]
fn additional_properties_absent_true_schema_false_are_distinguished() {
    let (defs, diags) = lower(&doc(r"
Open: {type: object, properties: {a: {type: string}}}
OpenTrue: {type: object, additionalProperties: true, properties: {a: {type: string}}}
Closed: {type: object, additionalProperties: false, properties: {a: {type: string}}}
Typed: {type: object, additionalProperties: {type: integer}, properties: {a: {type: string}}}
PureMap: {type: object, additionalProperties: {type: string}}
Holder:
  type: object
  properties:
    metadata: {type: object, additionalProperties: true}
    labels: {type: object, additionalProperties: {type: string}}
"));
    assert_no_errors(&diags);
    assert_eq!(
        struct_of(&defs, "Open").additional,
        AdditionalProperties::Preserve
    );
    assert_eq!(
        struct_of(&defs, "OpenTrue").additional,
        AdditionalProperties::Preserve
    );
    assert_eq!(
        struct_of(&defs, "Closed").additional,
        AdditionalProperties::Forbidden
    );
    assert_eq!(
        struct_of(&defs, "Typed").additional,
        AdditionalProperties::Typed(prim(Primitive::I64))
    );
    assert_eq!(
        def(&defs, "PureMap").kind,
        TypeDefKind::Newtype(TypeRef::Map(Box::new(prim(Primitive::String))))
    );
    let h = struct_of(&defs, "Holder");
    assert_eq!(
        field(h, "metadata").ty,
        TypeRef::Map(Box::new(TypeRef::Any))
    );
    assert_eq!(
        field(h, "labels").ty,
        TypeRef::Map(Box::new(prim(Primitive::String)))
    );
}

#[test]
fn arrays_lower_to_vec_and_inline_items_get_item_names() {
    let (defs, diags) = lower(&doc(r"
OrgSet:
  type: object
  properties:
    orgs: {type: array, items: {$ref: '#/components/schemas/Org'}}
    tags: {type: array, items: {type: string}}
    pairs: {type: array, items: {type: object, properties: {k: {type: string}}}}
    anything: {type: array}
Org: {type: object, properties: {id: {type: string}}}
"));
    assert_no_errors(&diags);
    let s = struct_of(&defs, "OrgSet");
    assert_eq!(field(s, "orgs").ty, TypeRef::Vec(Box::new(named("Org"))));
    assert_eq!(
        field(s, "tags").ty,
        TypeRef::Vec(Box::new(prim(Primitive::String)))
    );
    assert_eq!(
        field(s, "pairs").ty,
        TypeRef::Vec(Box::new(named("OrgSetPairsItem")))
    );
    assert_eq!(
        field(s, "anything").ty,
        TypeRef::Vec(Box::new(TypeRef::Any))
    );
    struct_of(&defs, "OrgSetPairsItem");
}

#[test]
fn string_enums_become_closed_enums_with_rust_safe_variants() {
    let (defs, diags) = lower(&doc(r"
Status: {type: string, enum: [active, tobedeleted, '', '1.0', self, active]}
"));
    assert_no_errors(&diags);
    let TypeDefKind::Enum(e) = &def(&defs, "Status").kind else {
        panic!("not an enum")
    };
    let names: Vec<(&str, &str)> = e
        .variants
        .iter()
        .map(|v| (v.rust_name.as_str(), v.wire.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("Active", "active"),
            ("Tobedeleted", "tobedeleted"),
            ("Empty", ""),
            ("V1_0", "1.0"),
            ("Self_", "self")
        ]
    );
}

#[test]
fn ims_extensible_enum_pattern_becomes_extensible_enum() {
    let (defs, diags) = lower(&doc(r#"
OrgDType:
  type: object
  required: [type]
  properties:
    type:
      anyOf:
        - {type: string, enum: [department, district, school, ext]}
        - {type: string, pattern: "(ext:)[a-zA-Z0-9\\.\\-_]+", description: NormalizedString}
"#));
    assert_no_errors(&diags);
    let s = struct_of(&defs, "OrgDType");
    let f = field(s, "type");
    assert_eq!(f.rust_name, "r#type");
    assert_eq!(f.ty, named("OrgDTypeType"));
    let TypeDefKind::ExtensibleEnum(e) = &def(&defs, "OrgDTypeType").kind else {
        panic!("not extensible")
    };
    let names: Vec<&str> = e.variants.iter().map(|v| v.rust_name.as_str()).collect();
    // `Ext` is the catch-all, so a known value `ext` gets another name.
    assert_eq!(names, ["Department", "District", "School", "Ext2"]);
    assert_eq!(e.ext_variant.as_deref(), Some("Ext"));
}

#[test]
fn closed_enums_have_no_catch_all_variant() {
    let (defs, diags) = lower(&doc("Status: {type: string, enum: [active, ext]}"));
    assert_no_errors(&diags);
    let TypeDefKind::Enum(e) = &def(&defs, "Status").kind else {
        panic!("not a closed enum")
    };
    assert_eq!(e.ext_variant, None);
    assert_eq!(e.variants[1].rust_name, "Ext");
}

#[test]
fn the_extension_map_is_named_after_the_fields_and_only_when_kept() {
    let (defs, diags) = lower(&doc(r#"
Open:
  type: object
  properties: {extensions: {type: string}, extensions2: {type: string}}
Merged:
  allOf:
    - {type: object, properties: {a: {type: string}}}
    - {type: object, properties: {extensions: {type: string}}}
Typed:
  type: object
  properties: {a: {type: string}}
  additionalProperties: {type: integer}
Closed:
  type: object
  properties: {extensions: {type: string}}
  additionalProperties: false
"#));
    assert_no_errors(&diags);
    let name = |n: &str| struct_of(&defs, n).extensions_field.clone();
    assert_eq!(name("Open").as_deref(), Some("extensions3"));
    assert_eq!(name("Merged").as_deref(), Some("extensions2"));
    assert_eq!(name("Typed").as_deref(), Some("extensions"));
    assert_eq!(name("Closed"), None);
}

#[test]
fn a_non_ims_extension_pattern_is_a_warning() {
    let (defs, diags) = lower(&doc(r#"
Kind:
  anyOf:
    - {type: string, enum: [a]}
    - {type: string, pattern: "^(ext:)[a-z]+$"}
Ims:
  anyOf:
    - {type: string, enum: [a]}
    - {type: string, pattern: "^(ext:)[a-zA-Z0-9\\.\\-_]+$"}
"#));
    assert_no_errors(&diags);
    assert!(matches!(
        def(&defs, "Kind").kind,
        TypeDefKind::ExtensibleEnum(_)
    ));
    let warnings: Vec<_> = diags
        .iter()
        .filter(|d| d.code == codes::EXT_PATTERN_NOT_IMS)
        .collect();
    assert_eq!(warnings.len(), 1, "{diags}");
    assert_eq!(
        warnings[0].location,
        Location::pointer("test.yaml", "/components/schemas/Kind/anyOf")
    );
}

#[test]
fn all_of_merges_parts_and_resolves_refs() {
    let (defs, diags) = lower(&doc(r"
Base:
  type: object
  required: [id]
  properties: {id: {type: string, format: uri}}
LineItem:
  allOf:
    - $ref: '#/components/schemas/Base'
    - allOf:
        - type: object
          required: [label]
          properties: {label: {type: string}, scoreMaximum: {type: number}}
    - {type: object, properties: {id: {type: string}}, required: [tag], additionalProperties: false}
Alias:
  allOf: [{$ref: '#/components/schemas/Base'}]
"));
    assert_no_errors(&diags);
    let s = struct_of(&defs, "LineItem");
    let wires: Vec<&str> = s.fields.iter().map(|f| f.wire_name.as_str()).collect();
    assert_eq!(wires, ["id", "label", "scoreMaximum"]);
    assert_eq!(
        field(s, "id").ty,
        prim(Primitive::Uri),
        "first declaration wins"
    );
    assert!(field(s, "id").required && field(s, "label").required);
    assert!(!field(s, "scoreMaximum").required);
    assert_eq!(
        s.additional,
        AdditionalProperties::Preserve,
        "closed only if every part is closed"
    );
    assert_eq!(
        def(&defs, "Alias").kind,
        TypeDefKind::Newtype(named("Base"))
    );
}

#[test]
fn all_of_with_a_non_object_part_is_an_error_at_its_pointer() {
    let (_, diags) = lower(&doc(r"
Bad:
  allOf:
    - {type: object, properties: {a: {type: string}}}
    - {type: string}
"));
    let err = diags.iter().find(|d| d.is_error()).expect("an error");
    assert_eq!(err.code, codes::ALL_OF_UNMERGEABLE);
    assert_eq!(
        err.location,
        Location::pointer("test.yaml", "/components/schemas/Bad/allOf/1")
    );
}

#[test]
fn unions_are_untagged_with_the_most_specific_variant_first() {
    let (defs, diags) = lower(&doc(r"
Profile:
  type: object
  required: [id, type]
  additionalProperties: false
  properties: {id: {type: string}, type: {type: string}}
Loose: {type: object, properties: {id: {type: string}}}
Credential:
  type: object
  properties:
    issuer:
      oneOf:
        - {type: string}
        - {$ref: '#/components/schemas/Loose'}
        - {$ref: '#/components/schemas/Profile'}
        - {type: integer}
"));
    assert_no_errors(&diags);
    assert_eq!(
        field(struct_of(&defs, "Credential"), "issuer").ty,
        named("CredentialIssuer")
    );
    let TypeDefKind::Union(u) = &def(&defs, "CredentialIssuer").kind else {
        panic!("not a union")
    };
    let order: Vec<(&str, &TypeRef)> = u
        .variants
        .iter()
        .map(|v| (v.rust_name.as_str(), &v.ty))
        .collect();
    assert_eq!(
        order,
        [
            ("Profile", &TypeRef::Boxed(Box::new(named("Profile")))),
            ("Loose", &TypeRef::Boxed(Box::new(named("Loose")))),
            ("I64", &prim(Primitive::I64)),
            ("String", &prim(Primitive::String)),
        ]
    );
}

#[test]
fn nullable_keeps_required_and_optional_apart() {
    let (defs, diags) = lower(&doc(r"
Thing:
  type: object
  required: [a, b]
  properties:
    a: {type: string, nullable: true}
    b: {type: string}
    c: {type: integer, format: int32, nullable: true}
    d: {type: integer}
    e: {type: string, enum: [x, null], nullable: true}
"));
    assert_no_errors(&diags);
    let s = struct_of(&defs, "Thing");
    let nullable_string = TypeRef::Nullable(Box::new(prim(Primitive::String)));
    assert_eq!(
        (&field(s, "a").ty, field(s, "a").required),
        (&nullable_string, true)
    );
    assert_eq!(field(s, "b").ty, prim(Primitive::String));
    let c = field(s, "c");
    assert_eq!(
        (&c.ty, c.required),
        (&TypeRef::Nullable(Box::new(prim(Primitive::I32))), false)
    );
    assert_eq!(field(s, "d").ty, prim(Primitive::I64));
    assert_eq!(
        field(s, "e").ty,
        TypeRef::Nullable(Box::new(named("ThingE")))
    );
}

#[test]
fn formats_map_to_runtime_scalars() {
    let (defs, diags) = lower(&doc(r"
F:
  type: object
  properties:
    dt: {type: string, format: date-time}
    d: {type: string, format: date}
    u: {type: string, format: uri}
    id: {type: string, format: uuid}
    i32: {type: integer, format: int32}
    i64: {type: integer, format: int64}
    i: {type: integer}
    f: {type: number, format: float}
    g: {type: number, format: double}
    n: {type: number}
    b64: {type: string, format: byte}
    bin: {type: string, format: binary}
    mail: {type: string, format: email}
    yes: {type: boolean}
"));
    assert_no_errors(&diags);
    let s = struct_of(&defs, "F");
    let expected = [
        ("dt", Primitive::DateTime),
        ("d", Primitive::Date),
        ("u", Primitive::Uri),
        ("id", Primitive::Uuid),
        ("i32", Primitive::I32),
        ("i64", Primitive::I64),
        ("i", Primitive::I64),
        ("f", Primitive::F32),
        ("g", Primitive::F64),
        ("n", Primitive::F64),
        ("b64", Primitive::Byte),
        ("bin", Primitive::Binary),
        ("mail", Primitive::String),
        ("yes", Primitive::Bool),
    ];
    for (wire, p) in expected {
        assert_eq!(field(s, wire).ty, prim(p), "{wire}");
    }
}

#[test]
fn inline_schemas_are_named_after_parent_and_property() {
    let yaml = doc(r"
OrgDType:
  type: object
  properties:
    status: {type: string, enum: [active, tobedeleted]}
    parent:
      type: object
      properties:
        kind: {type: string, enum: [a, b]}
OrgDTypeStatus: {type: string}
");
    let (defs, diags) = lower(&yaml);
    assert_no_errors(&diags);
    let s = struct_of(&defs, "OrgDType");
    // The component keeps its name; the inline enum yields to it.
    assert_eq!(field(s, "status").ty, named("OrgDTypeStatus2"));
    assert_eq!(field(s, "parent").ty, named("OrgDTypeParent"));
    assert_eq!(
        field(struct_of(&defs, "OrgDTypeParent"), "kind").ty,
        named("OrgDTypeParentKind")
    );
    // Same input, same names.
    assert_eq!(lower(&yaml).0, defs);
    let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "finish() sorts by Rust name");
}

#[test]
fn keywords_and_clashing_property_names_get_unique_rust_names() {
    let (defs, diags) = lower(&doc(r"
K:
  type: object
  properties:
    type: {type: string}
    self: {type: string}
    Type: {type: string}
    2fa: {type: string}
    '@id': {type: string}
    id: {type: string}
"));
    assert_no_errors(&diags);
    let s = struct_of(&defs, "K");
    let names: Vec<(&str, &str)> = s
        .fields
        .iter()
        .map(|f| (f.wire_name.as_str(), f.rust_name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("type", "r#type"),
            ("self", "self_"),
            ("Type", "type2"),
            ("2fa", "_2fa"),
            ("@id", "id"),
            ("id", "id2")
        ]
    );
}

#[test]
fn schemas_mapping_to_one_rust_name_get_suffixes_and_a_warning() {
    let (defs, diags) = lower(&doc(r"
Foo_Bar: {type: object, properties: {a: {type: string}}}
FooBar: {type: object, properties: {b: {type: string}}}
"));
    assert_no_errors(&diags);
    assert_eq!(def(&defs, "FooBar").schema_name.as_deref(), Some("Foo_Bar"));
    assert_eq!(def(&defs, "FooBar2").schema_name.as_deref(), Some("FooBar"));
    let w = diags
        .iter()
        .find(|d| d.code == codes::TYPE_NAME_COLLISION)
        .expect("collision warning");
    assert_eq!(w.severity(), Severity::Warning);
    assert!(w.message.contains("FooBar2"), "{}", w.message);
}

#[test]
fn recursion_through_non_collection_fields_is_boxed() {
    let (defs, diags) = lower(&doc(r"
Node:
  type: object
  required: [value]
  properties:
    value: {type: string}
    next: {$ref: '#/components/schemas/Node'}
    children: {type: array, items: {$ref: '#/components/schemas/Node'}}
A: {type: object, required: [b], properties: {b: {$ref: '#/components/schemas/B'}}}
B: {type: object, properties: {a: {$ref: '#/components/schemas/A'}, leaf: {$ref: '#/components/schemas/Leaf'}}}
Leaf: {type: object, properties: {x: {type: string}}}
"));
    assert_no_errors(&diags);
    let node = struct_of(&defs, "Node");
    assert_eq!(
        field(node, "next").ty,
        TypeRef::Boxed(Box::new(named("Node")))
    );
    assert_eq!(
        field(node, "children").ty,
        TypeRef::Vec(Box::new(named("Node")))
    );
    assert_eq!(
        field(struct_of(&defs, "A"), "b").ty,
        TypeRef::Boxed(Box::new(named("B")))
    );
    assert_eq!(
        field(struct_of(&defs, "B"), "a").ty,
        TypeRef::Boxed(Box::new(named("A")))
    );
    assert_eq!(field(struct_of(&defs, "B"), "leaf").ty, named("Leaf"));
}

#[test]
fn not_schemas_are_an_error_and_lower_to_any() {
    let (defs, diags) = lower(&doc(r"
N: {type: object, properties: {x: {not: {type: string}}}}
"));
    assert_eq!(diags.error_count(), 1);
    let err = diags.iter().next().expect("one diagnostic");
    assert_eq!(err.code, codes::SCHEMA_NOT);
    assert_eq!(
        err.location,
        Location::pointer("test.yaml", "/components/schemas/N/properties/x")
    );
    assert!(err.help.is_some());
    assert_eq!(field(struct_of(&defs, "N"), "x").ty, TypeRef::Any);
}

#[test]
fn dangling_refs_are_errors_not_panics() {
    let (defs, diags) = lower(&doc(r"
R: {type: object, properties: {x: {$ref: '#/components/schemas/Missing'}}}
"));
    assert!(diags.has_errors());
    assert_eq!(field(struct_of(&defs, "R"), "x").ty, TypeRef::Any);
}

#[test]
fn look_around_patterns_are_a_warning_not_an_error() {
    let (_, diags) = lower(&doc(r"
P: {type: object, properties: {href: {type: string, pattern: '^/(?!case$)[a-z]+$'}}}
"));
    assert_no_errors(&diags);
    let w = diags
        .iter()
        .find(|d| d.code == codes::PATTERN_UNSUPPORTED)
        .expect("pattern warning");
    assert_eq!(w.severity(), Severity::Warning);
}

#[test]
fn unsupported_patterns_are_not_enforced_and_the_warning_says_how_to_fix() {
    let (defs, diags) = lower(&doc(r"
P: {type: object, properties: {href: {type: string, pattern: '^/(?!case$)[a-z]+$', maxLength: 9}}}
"));
    let w = diags
        .iter()
        .find(|d| d.code == codes::PATTERN_UNSUPPORTED)
        .expect("pattern warning");
    assert!(w.message.contains("do not enforce"), "{}", w.message);
    let href = field(struct_of(&defs, "P"), "href");
    // The length still holds; the pattern is documentation only.
    assert_eq!(href.constraints.rules, vec![crate::ir::Rule::MaxLength(9)]);
}

#[test]
fn constraints_are_lowered_with_exclusive_integer_bounds_folded() {
    use crate::ir::Rule;
    let (defs, diags) = lower(&doc(r"
Code: {type: string, pattern: '^[A-Z]{2}$'}
S:
  type: object
  properties:
    n: {type: integer, format: int32, minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: true}
    wide: {type: integer, format: int32, minimum: -2147483648, maximum: 2147483647}
    x: {type: number, minimum: 0.5, maximum: 1, exclusiveMaximum: true}
    s: {type: string, minLength: 0, maxLength: 3}
    tags: {type: array, minItems: 1, maxItems: 2, items: {type: string, pattern: '^[a-z]+$'}}
    codes: {type: array, items: {$ref: '#/components/schemas/Code'}}
    plain: {type: string}
T: {type: object, properties: {s: {$ref: '#/components/schemas/S'}}}
U: {type: object, properties: {plain: {type: string}}}
"));
    assert_no_errors(&diags);
    let s = struct_of(&defs, "S");
    assert_eq!(
        field(s, "n").constraints.rules,
        vec![Rule::IntegerMinimum(1), Rule::IntegerMaximum(9)]
    );
    assert!(
        field(s, "wide").constraints.is_empty(),
        "the i32 type already holds these"
    );
    assert_eq!(
        field(s, "x").constraints.rules,
        vec![
            Rule::NumberMinimum {
                value: 0.5,
                exclusive: false
            },
            Rule::NumberMaximum {
                value: 1.0,
                exclusive: true
            }
        ]
    );
    assert_eq!(field(s, "s").constraints.rules, vec![Rule::MaxLength(3)]);
    let tags = &field(s, "tags").constraints;
    assert_eq!(tags.rules, vec![Rule::MinItems(1), Rule::MaxItems(2)]);
    assert_eq!(
        tags.items.as_deref().map(|c| c.rules.clone()),
        Some(vec![Rule::Pattern("^[a-z]+$".to_owned())])
    );
    // A $ref'd schema checks itself: the newtype holds the pattern, the member none.
    assert!(field(s, "codes").constraints.is_empty());
    assert_eq!(
        def(&defs, "Code").constraints.rules,
        vec![Rule::Pattern("^[A-Z]{2}$".to_owned())]
    );
    // Validation reaches holders (T holds S), and stops where nothing is declared.
    assert!(def(&defs, "Code").validates);
    assert!(def(&defs, "S").validates);
    assert!(def(&defs, "T").validates);
    assert!(!def(&defs, "U").validates);
}

#[test]
fn inline_schemas_from_operations_use_the_name_hint() {
    let api: openapiv3::OpenAPI = serde_yaml::from_str(
        r"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /orgs:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  orgs: {type: array, items: {type: object, properties: {id: {type: string}}}}
",
    )
    .expect("parses");
    let mut diags = Diagnostics::new();
    let mut lowerer = TypeLowerer::new(Resolver::new(&api, Path::new("test.yaml")));
    lowerer.lower_components(&mut diags);
    let op = api.paths.paths["/orgs"]
        .as_item()
        .and_then(|p| p.get.as_ref())
        .expect("get");
    let openapiv3::ReferenceOr::Item(resp) =
        &op.responses.responses[&openapiv3::StatusCode::Code(200)]
    else {
        panic!("inline response")
    };
    let schema = resp.content["application/json"]
        .schema
        .as_ref()
        .expect("schema");
    let pointer = "/paths/~1orgs/get/responses/200/content/application~1json/schema";
    let t = lowerer.lower_schema(schema, pointer, "GetOrgsResponse", &mut diags);
    assert_eq!(t, named("GetOrgsResponse"));
    // Lowering the same schema again gives the same type, not a second one.
    assert_eq!(
        lowerer.lower_schema(schema, pointer, "GetOrgsResponse", &mut diags),
        t
    );
    let defs = lowerer.finish();
    assert_eq!(defs.len(), 2);
    assert_eq!(
        field(struct_of(&defs, "GetOrgsResponse"), "orgs").ty,
        TypeRef::Vec(Box::new(named("GetOrgsResponseOrgsItem")))
    );
    assert_no_errors(&diags);
}

/// The official files: every schema lowers without an error diagnostic.
mod real_sdd {
    use super::*;

    // The official files (`../shared/ims/real-sdd/` or `IMS_REAL_SDD_DIR`); the test fails,
    // saying where they come from, when they are missing.
    use ims_test_prerequisites::real_sdd_dir as dir;

    fn lower_file(name: &str) -> (Vec<TypeDef>, Diagnostics) {
        let path = dir().join(name);
        let text = std::fs::read_to_string(&path).expect("readable");
        let api: openapiv3::OpenAPI = if name.ends_with(".json") {
            serde_json::from_str(&text).expect("valid OpenAPI JSON")
        } else {
            serde_yaml::from_str(&text).expect("valid OpenAPI YAML")
        };
        let mut diags = Diagnostics::new();
        let mut lowerer = TypeLowerer::new(Resolver::new(&api, &path));
        lowerer.lower_components(&mut diags);
        (lowerer.finish(), diags)
    }

    #[test]
    fn oneroster_rostering_lowers_without_errors_and_org_type_is_extensible() {
        let (defs, diags) = lower_file("or_v1p2_rostering_oas3.json");
        assert_no_errors(&diags);
        let org = struct_of(&defs, "OrgDType");
        assert_eq!(field(org, "type").ty, named("OrgDTypeType"));
        assert!(matches!(
            def(&defs, "OrgDTypeType").kind,
            TypeDefKind::ExtensibleEnum(_)
        ));
        assert_eq!(field(org, "dateLastModified").ty, prim(Primitive::DateTime));
        assert_eq!(org.additional, AdditionalProperties::Forbidden);
    }

    #[test]
    fn open_badges_lowers_without_errors() {
        let (defs, diags) = lower_file("ob_v3p0_oas.json");
        assert_no_errors(&diags);
        assert!(matches!(
            def(&defs, "AchievementCredentialIssuer").kind,
            TypeDefKind::Union(_)
        ));
    }

    #[test]
    fn case_lowers_without_errors() {
        let (_, diags) = lower_file("case_v1p1_oas3.json");
        assert_no_errors(&diags);
    }

    /// The LTI file needs the loader's YAML quirk normalization to parse as a whole; its schemas
    /// are all inline under `paths`, so lower each `schema` node found there directly.
    #[test]
    fn lti_ags_inline_schemas_lower_without_errors() {
        let dir = dir();
        let path = dir.join("lti_ags_v2p0_oas3.yaml");
        let text = std::fs::read_to_string(&path).expect("readable");
        let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
        let mut found = Vec::new();
        collect_schemas(&doc, String::new(), &mut found);
        assert!(
            found.len() >= 5,
            "expected inline schemas, found {}",
            found.len()
        );
        let empty: openapiv3::OpenAPI =
            serde_yaml::from_str("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n")
                .expect("parses");
        let schemas: Vec<(String, openapiv3::ReferenceOr<Schema>)> = found
            .into_iter()
            .map(|(p, v)| (p, serde_yaml::from_value(v).expect("a schema")))
            .collect();
        let mut diags = Diagnostics::new();
        let mut lowerer = TypeLowerer::new(Resolver::new(&empty, &path));
        for (i, (pointer, schema)) in schemas.iter().enumerate() {
            lowerer.lower_schema(schema, pointer, &format!("Body{i}"), &mut diags);
        }
        let defs = lowerer.finish();
        assert_no_errors(&diags);
        // The line item is an allOf of an `id` part and the attributes: one merged struct.
        let merged = defs
            .iter()
            .filter_map(|d| match &d.kind {
                TypeDefKind::Struct(s) => Some(s),
                _ => None,
            })
            .find(|s| {
                s.fields.iter().any(|f| f.wire_name == "id")
                    && s.fields.iter().any(|f| f.wire_name == "scoreMaximum")
            })
            .expect("a merged line item struct");
        assert_eq!(field(merged, "id").ty, prim(Primitive::Uri));
        assert!(field(merged, "id").required);
    }

    fn collect_schemas(
        v: &serde_yaml::Value,
        pointer: String,
        out: &mut Vec<(String, serde_yaml::Value)>,
    ) {
        match v {
            serde_yaml::Value::Mapping(m) => {
                for (k, child) in m {
                    let key = match k {
                        serde_yaml::Value::String(s) => s.clone(),
                        other => serde_yaml::to_string(other)
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                    };
                    let child_pointer = format!("{pointer}/{}", escape_pointer_token(&key));
                    if key == "schema"
                        && pointer.starts_with("/paths")
                        && !pointer.contains("/parameters")
                    {
                        out.push((child_pointer, child.clone()));
                    } else {
                        collect_schemas(child, child_pointer, out);
                    }
                }
            }
            serde_yaml::Value::Sequence(items) => {
                for (i, child) in items.iter().enumerate() {
                    collect_schemas(child, format!("{pointer}/{i}"), out);
                }
            }
            _ => {}
        }
    }
}
