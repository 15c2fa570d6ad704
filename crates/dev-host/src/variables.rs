//! Spin variables: application variables with defaults, `required`, and
//! `SPIN_VARIABLE_<NAME>` overrides; component variables as `{{ name }}`
//! templates over them.

use std::collections::BTreeMap;
use std::fmt;

use anyhow::{Result, bail};

use crate::manifest::VariableDecl;

/// A variable name as Spin accepts it: lowercase ASCII letters, digits and
/// underscores, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VariableName(String);

impl VariableName {
    pub fn parse(name: &str) -> Result<Self> {
        let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !name.contains("__")
            && !name.ends_with('_');
        if !valid {
            bail!(
                "invalid variable name `{name}`: use lowercase letters, digits and single underscores, starting with a letter"
            );
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The environment variable that overrides it, as `spin up` reads it.
    pub fn env_var(&self) -> String {
        format!("SPIN_VARIABLE_{}", self.0.to_ascii_uppercase())
    }
}

impl fmt::Display for VariableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A string with `{{ variable }}` references, as used for component
/// variables and `allowed_outbound_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(Vec<Part>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Reference(VariableName),
}

impl Template {
    pub fn parse(text: &str) -> Result<Self> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                bail!("unclosed `{{{{` in `{text}`");
            };
            parts.push(Part::Reference(VariableName::parse(after[..end].trim())?));
            rest = &after[end + 2..];
        }
        if rest.contains("}}") {
            bail!("unopened `}}}}` in `{text}`");
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Self(parts))
    }

    pub fn references(&self) -> impl Iterator<Item = &VariableName> {
        self.0.iter().filter_map(|p| match p {
            Part::Reference(name) => Some(name),
            Part::Literal(_) => None,
        })
    }

    /// Renders with resolved application variables; the manifest check makes
    /// sure every reference exists.
    pub fn render(&self, values: &BTreeMap<VariableName, String>) -> Result<String> {
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Reference(name) => match values.get(name) {
                    Some(value) => out.push_str(value),
                    None => bail!("variable `{name}` has no value"),
                },
            }
        }
        Ok(out)
    }
}

/// Gives every application variable its value: an override (from
/// `--variable` or the environment, as collected by the caller) wins over
/// the default; a required variable without one stops start-up, named.
pub fn resolve_application_variables(
    declared: &BTreeMap<VariableName, VariableDecl>,
    overrides: &BTreeMap<String, String>,
) -> Result<BTreeMap<VariableName, String>> {
    let mut values = BTreeMap::new();
    for (name, decl) in declared {
        let value = overrides
            .get(name.as_str())
            .cloned()
            .or_else(|| decl.default.clone());
        match value {
            Some(value) => {
                values.insert(name.clone(), value);
            }
            None => bail!(
                "missing required variable `{name}`: set {} or pass --variable {name}=...",
                name.env_var()
            ),
        }
    }
    Ok(values)
}

/// Collects `SPIN_VARIABLE_<NAME>` overrides from the process environment.
/// Like Spin, only the upper-case spelling counts.
pub fn overrides_from_env() -> BTreeMap<String, String> {
    overrides_from(std::env::vars())
}

fn overrides_from(vars: impl Iterator<Item = (String, String)>) -> BTreeMap<String, String> {
    vars.filter_map(|(key, value)| {
        let name = key.strip_prefix("SPIN_VARIABLE_")?;
        let upper = name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        upper.then(|| (name.to_ascii_lowercase(), value))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> VariableName {
        VariableName::parse(n).unwrap()
    }

    #[test]
    fn names_follow_spin_rules() {
        assert!(VariableName::parse("admin_token").is_ok());
        for bad in ["Admin", "1abc", "a-b", "a__b", "a_", ""] {
            assert!(VariableName::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(name("admin_token").env_var(), "SPIN_VARIABLE_ADMIN_TOKEN");
    }

    #[test]
    fn only_upper_case_environment_names_count() {
        let vars = [
            ("SPIN_VARIABLE_ADMIN_TOKEN", "a"),
            ("SPIN_VARIABLE_library_name", "b"),
            ("HOME", "/root"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let overrides = overrides_from(vars.into_iter());
        assert_eq!(
            overrides,
            BTreeMap::from([("admin_token".to_string(), "a".to_string())])
        );
    }

    #[test]
    fn templates_render_references() {
        let t = Template::parse("https://{{ host }}:{{port}}/x").unwrap();
        let values = BTreeMap::from([(name("host"), "a.b".into()), (name("port"), "8".into())]);
        assert_eq!(t.render(&values).unwrap(), "https://a.b:8/x");
        assert!(Template::parse("{{ host").is_err());
        assert!(Template::parse("host }}").is_err());
    }

    #[test]
    fn required_variables_need_a_value() {
        let declared = BTreeMap::from([
            (
                name("admin_token"),
                VariableDecl {
                    default: None,
                    required: true,
                    secret: true,
                },
            ),
            (
                name("library_name"),
                VariableDecl {
                    default: Some("Médiathèque".into()),
                    required: false,
                    secret: false,
                },
            ),
        ]);
        let err = resolve_application_variables(&declared, &BTreeMap::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing required variable `admin_token`: set SPIN_VARIABLE_ADMIN_TOKEN or pass --variable admin_token=..."
        );
        let overrides = BTreeMap::from([("admin_token".to_string(), "s3cret".to_string())]);
        let values = resolve_application_variables(&declared, &overrides).unwrap();
        assert_eq!(values[&name("library_name")], "Médiathèque");
        assert_eq!(values[&name("admin_token")], "s3cret");
    }
}
