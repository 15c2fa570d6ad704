//! Spin's runtime config file (`spin up --runtime-config-file FILE`), the
//! part the dev host honours: where each key-value store lives.
//!
//! ```toml
//! [key_value_store.default]
//! type = "redis"                 # or "spin" (SQLite), Spin's default
//! url = "redis://127.0.0.1:6379"
//! ```
//!
//! `type = "spin"` takes an optional `path` to the SQLite file, relative to
//! the runtime config file's folder as in Spin; without one, Spin keeps that
//! store in memory, and so does the dev host. Spin's other backends
//! (`azure_cosmos`, `aws_dynamo`) are refused with their name: they cannot be
//! run here. Other sections of the file (variables providers, outbound TLS,
//! databases...) do not concern the dev host and are reported, then ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Where one key-value store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvStoreConfig {
    /// Spin's SQLite store in this file; without a `path`, Spin keeps that
    /// store in memory (its default file applies only without a runtime config).
    Sqlite { path: Option<PathBuf> },
    /// Spin's Redis store at this URL.
    Redis { url: String },
}

/// What the dev host reads of a runtime config file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// By store label.
    pub key_value_stores: BTreeMap<String, KvStoreConfig>,
    /// Top-level sections present but not read by the dev host.
    pub ignored_sections: Vec<String>,
}

impl RuntimeConfig {
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read runtime config {}", path.display()))?;
        let folder = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, folder).with_context(|| format!("runtime config {}", path.display()))
    }

    /// Parses the TOML text; relative SQLite paths are taken from `folder`.
    pub fn parse(text: &str, folder: &Path) -> Result<Self> {
        let document: toml::Table = text.parse().context("not valid TOML")?;
        let mut config = RuntimeConfig::default();
        for (section, value) in document {
            if section != "key_value_store" {
                config.ignored_sections.push(section);
                continue;
            }
            let Some(stores) = value.as_table() else {
                bail!(
                    "`key_value_store` must be a table of stores, e.g. [key_value_store.default]"
                );
            };
            for (label, store) in stores {
                let store = store
                    .as_table()
                    .with_context(|| format!("[key_value_store.{label}] must be a table"))?;
                config
                    .key_value_stores
                    .insert(label.clone(), parse_store(label, store, folder)?);
            }
        }
        Ok(config)
    }
}

fn parse_store(label: &str, store: &toml::Table, folder: &Path) -> Result<KvStoreConfig> {
    let text = |key: &str| -> Result<Option<String>> {
        match store.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => bail!("[key_value_store.{label}] `{key}` must be a string"),
        }
    };
    let kind =
        text("type")?.with_context(|| format!("[key_value_store.{label}] needs a `type`"))?;
    let allowed: &[&str] = match kind.as_str() {
        "spin" => &["type", "path"],
        "redis" => &["type", "url"],
        "azure_cosmos" | "aws_dynamo" => bail!(
            "[key_value_store.{label}] type `{kind}` is a Spin backend the dev host cannot run here; it offers `spin` (SQLite) and `redis`"
        ),
        other => bail!(
            "[key_value_store.{label}] unknown type `{other}` (Spin's are spin, redis, azure_cosmos, aws_dynamo)"
        ),
    };
    if let Some(unknown) = store.keys().find(|k| !allowed.contains(&k.as_str())) {
        bail!("[key_value_store.{label}] type `{kind}` has no key `{unknown}`");
    }
    Ok(match kind.as_str() {
        "spin" => KvStoreConfig::Sqlite {
            path: text("path")?.map(|p| folder.join(p)),
        },
        _ => KvStoreConfig::Redis {
            url: text("url")?
                .with_context(|| format!("[key_value_store.{label}] type `redis` needs a `url`"))?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RuntimeConfig> {
        RuntimeConfig::parse(text, Path::new("/srv/kiosque"))
    }

    #[test]
    fn reads_redis_and_sqlite_stores_and_reports_other_sections() {
        let config = parse(
            r#"
            [key_value_store.default]
            type = "redis"
            url = "redis://127.0.0.1:6390"

            [key_value_store.archive]
            type = "spin"
            path = "data/archive.db"

            [variables_provider]
            type = "vault"
            "#,
        )
        .unwrap();
        assert_eq!(
            config.key_value_stores["default"],
            KvStoreConfig::Redis {
                url: "redis://127.0.0.1:6390".into()
            }
        );
        assert_eq!(
            config.key_value_stores["archive"],
            KvStoreConfig::Sqlite {
                path: Some(PathBuf::from("/srv/kiosque/data/archive.db"))
            }
        );
        assert_eq!(config.ignored_sections, vec!["variables_provider"]);
    }

    #[test]
    fn mistakes_are_named() {
        let error = |text: &str| format!("{:#}", parse(text).unwrap_err());
        assert!(error("[key_value_store.default]\ntype = \"redis\"").contains("needs a `url`"));
        assert!(
            error("[key_value_store.default]\ntype = \"aws_dynamo\"\ntable = \"t\"")
                .contains("cannot run here")
        );
        assert!(error("[key_value_store.default]\ntype = \"mongo\"").contains("unknown type"));
        assert!(
            error("[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://x\"\nuri = \"y\"")
                .contains("no key `uri`")
        );
        assert!(error("[key_value_store.default]\nurl = \"redis://x\"").contains("needs a `type`"));
        assert!(error("not = [toml").contains("not valid TOML"));
    }
}
