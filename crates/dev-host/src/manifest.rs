//! Reading `spin.toml` (manifest version 2).
//!
//! Only the keys Spin's manifest v2 reference documents are accepted, and of
//! those only the ones the dev host implements: anything else is refused with
//! its name, so a manifest that runs here does not silently mean something
//! else on the real `spin up`.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::routes::Route;
use crate::variables::{self, Template, VariableName};

/// A validated application manifest, with paths resolved against its folder.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The folder that holds `spin.toml`; relative paths start here.
    pub root: PathBuf,
    pub application_name: String,
    pub variables: BTreeMap<VariableName, VariableDecl>,
    /// HTTP triggers in manifest order.
    pub triggers: Vec<HttpTrigger>,
    /// In manifest order, which is the order `spin build` builds them.
    pub components: IndexMap<String, ComponentDecl>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableDecl {
    pub default: Option<String>,
    pub required: bool,
    pub secret: bool,
}

#[derive(Debug, Clone)]
pub struct HttpTrigger {
    pub route: Route,
    pub component: String,
}

#[derive(Debug, Clone)]
pub struct ComponentDecl {
    pub id: String,
    pub source: PathBuf,
    pub files: Vec<FileMount>,
    pub key_value_stores: Vec<String>,
    /// Patterns as written; variables are substituted when the host starts.
    pub allowed_outbound_hosts: Vec<Template>,
    pub variables: BTreeMap<VariableName, Template>,
    pub environment: BTreeMap<String, String>,
    pub build: Option<BuildDecl>,
}

/// A host folder (or file) made visible, read-only, inside the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMount {
    pub source: PathBuf,
    pub destination: String,
}

#[derive(Debug, Clone)]
pub struct BuildDecl {
    pub command: String,
    pub workdir: PathBuf,
}

impl Manifest {
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read manifest {}", path.display()))?;
        let root = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let root = if root.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            root
        };
        Self::parse(&text, &root).with_context(|| format!("invalid manifest {}", path.display()))
    }

    pub fn parse(text: &str, root: &Path) -> Result<Self> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| {
            // toml's multi-line report is hard to read in a one-line start-up
            // error: keep its message and its line.
            anyhow::anyhow!("{}", e.message().trim().replace('\n', " "))
                .context(describe_span(text, e.span()))
        })?;
        if raw.spin_manifest_version != 2 {
            bail!(
                "spin_manifest_version is {}, only 2 is supported",
                raw.spin_manifest_version
            );
        }

        let mut variables = BTreeMap::new();
        for (name, decl) in raw.variables {
            let name = VariableName::parse(&name)?;
            if decl.required && decl.default.is_some() {
                bail!("variable `{name}` cannot be both required and have a default");
            }
            if !decl.required && decl.default.is_none() {
                bail!("variable `{name}` needs either `default` or `required = true`");
            }
            variables.insert(
                name,
                VariableDecl {
                    default: decl.default,
                    required: decl.required,
                    secret: decl.secret,
                },
            );
        }

        let mut components = IndexMap::new();
        for (id, c) in raw.component {
            validate_component_id(&id)?;
            let mut files = Vec::new();
            for f in c.files {
                files.push(match f {
                    // Spin also takes glob patterns of single files; the dev
                    // host mounts folders only, and says so rather than
                    // failing on every request.
                    RawFile::Path(p) => bail!(
                        "component `{id}`: file entry `{p}` is not supported by the dev host; mount a folder with {{ source = \"...\", destination = \"/...\" }}"
                    ),
                    RawFile::Mapping {
                        source,
                        destination,
                    } => {
                        if !destination.starts_with('/') {
                            bail!(
                                "component `{id}`: file destination `{destination}` must be absolute"
                            );
                        }
                        FileMount {
                            source: root.join(source),
                            destination,
                        }
                    }
                });
            }
            let mut component_variables = BTreeMap::new();
            for (name, value) in c.variables {
                let name = VariableName::parse(&name)
                    .with_context(|| format!("component `{id}` variables"))?;
                let template = parse_template(
                    &value,
                    &variables,
                    &format!("component `{id}` variable `{name}`"),
                )?;
                component_variables.insert(name, template);
            }
            let mut outbound = Vec::new();
            for host in c.allowed_outbound_hosts {
                outbound.push(parse_template(
                    &host,
                    &variables,
                    &format!("component `{id}` allowed_outbound_hosts"),
                )?);
            }
            let build = c.build.map(|b| BuildDecl {
                command: b.command,
                workdir: b
                    .workdir
                    .map_or_else(|| root.to_path_buf(), |w| root.join(w)),
            });
            components.insert(
                id.clone(),
                ComponentDecl {
                    id: id.clone(),
                    source: root.join(c.source),
                    files,
                    key_value_stores: c.key_value_stores,
                    allowed_outbound_hosts: outbound,
                    variables: component_variables,
                    environment: c.environment,
                    build,
                },
            );
        }

        let mut triggers = Vec::new();
        for t in raw.trigger.http {
            if !components.contains_key(&t.component) {
                bail!(
                    "trigger for route `{}` names component `{}`, which the manifest does not define",
                    t.route,
                    t.component
                );
            }
            // As in Spin, a route given twice goes to the later trigger, with
            // a warning.
            if let Some(position) = triggers
                .iter()
                .position(|other: &HttpTrigger| other.route.as_str() == t.route)
            {
                let replaced = triggers.remove(position);
                eprintln!(
                    "warning: route `{}` is given twice; `{}` wins over `{}`",
                    t.route, t.component, replaced.component
                );
            }
            triggers.push(HttpTrigger {
                route: Route::parse(&t.route)?,
                component: t.component,
            });
        }
        if triggers.is_empty() {
            bail!("the manifest has no [[trigger.http]]");
        }

        Ok(Manifest {
            root: root.to_path_buf(),
            application_name: raw.application.name,
            variables,
            triggers,
            components,
        })
    }
}

/// Parses a `{{ variable }}` template whose references must all be
/// application variables; `what` names where it was found.
fn parse_template(
    text: &str,
    variables: &BTreeMap<VariableName, VariableDecl>,
    what: &str,
) -> Result<Template> {
    let template = Template::parse(text).with_context(|| what.to_string())?;
    if let Some(missing) = template.references().find(|r| !variables.contains_key(*r)) {
        bail!("{what} refers to undefined application variable `{missing}`");
    }
    Ok(template)
}

fn validate_component_id(id: &str) -> Result<()> {
    let ok = id.split('-').all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    }) && id.starts_with(|c: char| c.is_ascii_lowercase());
    if !ok {
        bail!("component id `{id}` must be kebab-case (lowercase letters, digits, single dashes)");
    }
    Ok(())
}

fn describe_span(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}")
        }
        None => "manifest".to_string(),
    }
}

// The raw TOML shape. `deny_unknown_fields` makes a misspelt or unsupported
// key an error instead of being ignored.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    spin_manifest_version: u32,
    application: RawApplication,
    #[serde(default)]
    variables: BTreeMap<String, RawVariable>,
    trigger: RawTriggers,
    #[serde(default)]
    component: IndexMap<String, RawComponent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApplication {
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    version: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    authors: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    secret: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<RawHttpTrigger>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttpTrigger {
    route: String,
    component: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    source: String,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    files: Vec<RawFile>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    build: Option<RawBuild>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawFile {
    Path(String),
    Mapping { source: String, destination: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuild {
    command: String,
    #[serde(default)]
    workdir: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    watch: Vec<String>,
}

/// Checks that every application variable referenced anywhere has a value
/// (its default, or an override); the first missing required one is named.
pub fn check_required(
    manifest: &Manifest,
    overrides: &BTreeMap<String, String>,
) -> Result<BTreeMap<VariableName, String>> {
    variables::resolve_application_variables(&manifest.variables, overrides)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
spin_manifest_version = 2
[application]
name = "t"
[variables]
token = { required = true, secret = true }
greeting = { default = "bonjour" }
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
source = "web.wasm"
key_value_stores = ["default"]
allowed_outbound_hosts = ["https://{{ greeting }}.example"]
files = [{ source = "static", destination = "/" }]
[component.web.variables]
token = "{{ token }}"
[component.web.build]
command = "cargo build"
watch = ["src/**/*.rs"]
"#;

    #[test]
    fn reads_a_minimal_manifest() {
        let m = Manifest::parse(MINIMAL, Path::new("/app")).unwrap();
        assert_eq!(m.application_name, "t");
        let web = &m.components["web"];
        assert_eq!(web.source, Path::new("/app/web.wasm"));
        assert_eq!(web.files[0].destination, "/");
        assert_eq!(web.key_value_stores, vec!["default".to_string()]);
        assert_eq!(m.triggers[0].component, "web");
        assert!(m.variables[&VariableName::parse("token").unwrap()].secret);
    }

    #[test]
    fn refuses_unknown_keys_and_bad_references() {
        let err = |text: &str| format!("{:#}", Manifest::parse(text, Path::new("/")).unwrap_err());
        assert!(err(&MINIMAL.replace("key_value_stores", "kv_stores")).contains("kv_stores"));
        assert!(
            err(&MINIMAL.replace("token = \"{{ token }}\"", "token = \"{{ nope }}\""))
                .contains("undefined application variable `nope`")
        );
        assert!(
            err(&MINIMAL.replace("component = \"web\"", "component = \"api\"")).contains("`api`")
        );
        assert!(
            err(&MINIMAL.replace("spin_manifest_version = 2", "spin_manifest_version = 1"))
                .contains("only 2")
        );
        assert!(err(&MINIMAL.replace("component.web", "component.Web")).contains("kebab-case"));
    }
}
