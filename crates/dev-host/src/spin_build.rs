//! `spin build`: runs each component's `[component.<id>.build]` command in
//! its working folder, in manifest order (as `spin build` does), stopping at
//! the first failure.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::manifest::Manifest;

pub fn build(manifest_path: &Path, quiet: bool) -> Result<()> {
    let manifest = Manifest::from_file(manifest_path)?;
    for (id, component) in &manifest.components {
        let Some(build) = &component.build else {
            continue;
        };
        if !quiet {
            eprintln!("Building component {id} with `{}`", build.command);
        }
        let status = Command::new("sh")
            .arg("-c")
            .arg(&build.command)
            .current_dir(&build.workdir)
            .status()
            .with_context(|| format!("cannot run the build command of component `{id}`"))?;
        if !status.success() {
            bail!("building component `{id}` failed ({status})");
        }
    }
    Ok(())
}
