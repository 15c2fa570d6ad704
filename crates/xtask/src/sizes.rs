//! `cargo xtask sizes`: what takes the bytes of each component's `.wasm`.
//!
//! The shipped `.wasm` files are stripped, so the report reads a second build of the same
//! code with its name section kept (`target/names/`, the release profile with
//! `strip = false`; code and data are the same bytes, only the names are added). For each
//! component it prints the release size beside its budget, the split between code, data
//! (string literals, tables, `static`s) and component glue, and the code by crate, from the
//! demangled function names. A crate's generic code instantiated by another crate counts for
//! the crate that defines it (`core::ptr::drop_in_place<polls::X>` counts for `core`).
//!
//! The reader below knows just enough of the binary format (core modules nested in a
//! component, and in a core module the import, function, code, data and `name` sections);
//! every length is checked, so a file it does not understand is an error, not a wrong figure.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail, ensure};

use crate::{WASM_BUDGETS_KIB, WASM_TARGET, workspace_root};

/// How many crates each component's code listing shows (the rest are summed).
const CRATES_SHOWN: usize = 12;

pub fn run() -> Result<()> {
    crate::build()?;
    let root = workspace_root();
    let names_dir = root.join("target/names");
    eprintln!("== a build with names kept, in {}", names_dir.display());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = std::process::Command::new(cargo);
    command
        .args(["build", "--release", "--target", WASM_TARGET])
        .env("CARGO_PROFILE_RELEASE_STRIP", "false")
        .env("CARGO_TARGET_DIR", &names_dir)
        .current_dir(&root);
    for (name, _) in WASM_BUDGETS_KIB {
        command.args(["-p", &name.replace('_', "-")]);
    }
    ensure!(
        command.status()?.success(),
        "the build with names kept failed"
    );

    for (name, budget_kib) in WASM_BUDGETS_KIB {
        let release = root.join(format!("target/{WASM_TARGET}/release/{name}.wasm"));
        let shipped = std::fs::metadata(&release)
            .with_context(|| format!("{} is missing", release.display()))?
            .len();
        let named = names_dir.join(format!("{WASM_TARGET}/release/{name}.wasm"));
        let bytes =
            std::fs::read(&named).with_context(|| format!("cannot read {}", named.display()))?;
        let report = Report::of_component(&bytes)
            .with_context(|| format!("cannot read {}", named.display()))?;
        print_report(name, shipped, *budget_kib, &report);
    }
    Ok(())
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

fn print_report(name: &str, shipped: u64, budget_kib: u64, report: &Report) {
    println!();
    println!("{name}: {} shipped (budget {budget_kib} KiB)", kb(shipped));
    let core_total = report.code + report.data + report.other_core;
    let glue = shipped.saturating_sub(core_total);
    println!(
        "  code {} ({} functions), data {}, other module sections {}, component glue and \
         headers {}",
        kb(report.code),
        report.functions,
        kb(report.data),
        kb(report.other_core),
        kb(glue)
    );
    let mut crates: Vec<(&String, &u64)> = report.code_by_crate.iter().collect();
    crates.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!("  code by crate:");
    for (krate, bytes) in crates.iter().take(CRATES_SHOWN) {
        let share = **bytes as f64 * 100.0 / report.code.max(1) as f64;
        println!("    {krate:<28} {:>10}  {share:>4.1} %", kb(**bytes));
    }
    let rest: u64 = crates.iter().skip(CRATES_SHOWN).map(|(_, b)| **b).sum();
    if rest > 0 {
        println!(
            "    {:<28} {:>10}",
            format!("{} other crates", crates.len() - CRATES_SHOWN),
            kb(rest)
        );
    }
}

/// What a component's core modules hold, in bytes.
#[derive(Debug, Default, PartialEq)]
struct Report {
    /// Function bodies (the code section's entries).
    code: u64,
    functions: u64,
    /// Data segments: the module's initial memory.
    data: u64,
    /// Every other section of the core modules (types, imports, exports, tables).
    other_core: u64,
    /// Custom sections (names, producers): stripped from the shipped `.wasm`.
    custom: u64,
    code_by_crate: BTreeMap<String, u64>,
}

impl Report {
    fn of_component(bytes: &[u8]) -> Result<Self> {
        let mut report = Report::default();
        report.add_component(bytes)?;
        Ok(report)
    }

    fn add_component(&mut self, bytes: &[u8]) -> Result<()> {
        let mut reader = Reader::new(bytes);
        let version = reader.header()?;
        if version == CORE_VERSION {
            return self.add_core_module(bytes);
        }
        ensure!(
            version == COMPONENT_VERSION,
            "not a component: {version:02x?}"
        );
        while !reader.done() {
            let (id, payload) = reader.section()?;
            match id {
                COMPONENT_CORE_MODULE => self.add_core_module(payload)?,
                COMPONENT_NESTED => self.add_component(payload)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn add_core_module(&mut self, bytes: &[u8]) -> Result<()> {
        let mut reader = Reader::new(bytes);
        ensure!(
            reader.header()? == CORE_VERSION,
            "a nested module is not a core module"
        );
        let mut imported_functions = 0u32;
        let mut bodies: Vec<u64> = Vec::new();
        let mut names: BTreeMap<u32, String> = BTreeMap::new();
        while !reader.done() {
            let (id, payload) = reader.section()?;
            match id {
                SECTION_IMPORT => imported_functions = count_function_imports(payload)?,
                SECTION_CODE => {
                    bodies = body_sizes(payload)?;
                    self.code += payload.len() as u64;
                }
                SECTION_DATA => self.data += payload.len() as u64,
                SECTION_CUSTOM => {
                    let mut custom = Reader::new(payload);
                    if custom.name()? == "name" {
                        names = function_names(custom.rest())?;
                    }
                    self.custom += payload.len() as u64;
                }
                _ => self.other_core += payload.len() as u64,
            }
        }
        self.functions += bodies.len() as u64;
        for (i, size) in bodies.iter().enumerate() {
            let index = imported_functions + i as u32;
            let krate = names
                .get(&index)
                .map_or("(unnamed)".to_string(), |name| crate_of(name));
            *self.code_by_crate.entry(krate).or_default() += size;
        }
        Ok(())
    }
}

/// The crate a (mangled) function name belongs to: the first path segment of its
/// demangled form, `<T as Trait>` read as `T` when `T` is a path, else as `Trait`. Names that are not Rust paths (the C
/// allocator, `memcpy`, the component's `cabi_*` glue) share one group.
fn crate_of(mangled: &str) -> String {
    let demangled = format!("{:#}", rustc_demangle::demangle(mangled));
    let path = demangled
        .trim_start_matches(['<', '&', '*', '('])
        .trim_start_matches("mut ")
        .trim_start_matches("const ")
        .trim_start_matches("dyn ");
    let end = path
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(path.len());
    if end > 0 && path[end..].starts_with("::") {
        path[..end].to_string()
    } else if let Some(trait_path) = path[end..].strip_prefix(" as ") {
        // `<T as serde::Serialize>::serialize`: a generic or primitive type, so the
        // trait's crate.
        crate_of(trait_path)
    } else {
        "(C, compiler and glue symbols)".to_string()
    }
}

const CORE_VERSION: [u8; 4] = [1, 0, 0, 0];
const COMPONENT_VERSION: [u8; 4] = [0x0d, 0, 1, 0];
const COMPONENT_CORE_MODULE: u8 = 1;
const COMPONENT_NESTED: u8 = 4;
const SECTION_CUSTOM: u8 = 0;
const SECTION_IMPORT: u8 = 2;
const SECTION_CODE: u8 = 10;
const SECTION_DATA: u8 = 11;

/// A cursor over a binary, every read bounds-checked.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn rest(&self) -> &'a [u8] {
        &self.bytes[self.at..]
    }

    fn byte(&mut self) -> Result<u8> {
        let byte = *self
            .bytes
            .get(self.at)
            .context("unexpected end of the binary")?;
        self.at += 1;
        Ok(byte)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len())
            .context("a length runs past the end of the binary")?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    /// An unsigned LEB128 of at most 32 bits.
    fn u32(&mut self) -> Result<u32> {
        let mut value = 0u32;
        for shift in (0..35).step_by(7) {
            let byte = self.byte()?;
            value |= u32::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        bail!("a LEB128 number longer than 32 bits")
    }

    fn len(&mut self) -> Result<usize> {
        Ok(self.u32()? as usize)
    }

    fn name(&mut self) -> Result<&'a str> {
        let len = self.len()?;
        std::str::from_utf8(self.take(len)?).context("a name that is not UTF-8")
    }

    /// The magic number and the version (core module or component layer).
    fn header(&mut self) -> Result<[u8; 4]> {
        ensure!(self.take(4)? == b"\0asm", "not a WebAssembly binary");
        Ok(self.take(4)?.try_into().expect("four bytes"))
    }

    fn section(&mut self) -> Result<(u8, &'a [u8])> {
        let id = self.byte()?;
        let len = self.len()?;
        Ok((id, self.take(len)?))
    }

    fn limits(&mut self) -> Result<()> {
        let flags = self.byte()?;
        self.u32()?;
        if flags & 1 != 0 {
            self.u32()?;
        }
        Ok(())
    }
}

/// How many of a core module's imports are functions (they take the first indexes).
fn count_function_imports(payload: &[u8]) -> Result<u32> {
    let mut reader = Reader::new(payload);
    let mut functions = 0;
    for _ in 0..reader.u32()? {
        reader.name()?;
        reader.name()?;
        match reader.byte()? {
            0x00 => {
                reader.u32()?;
                functions += 1;
            }
            0x01 => {
                reader.byte()?;
                reader.limits()?;
            }
            0x02 => reader.limits()?,
            0x03 => {
                reader.byte()?;
                reader.byte()?;
            }
            0x04 => {
                reader.byte()?;
                reader.u32()?;
            }
            kind => bail!("an import of unknown kind {kind:#x}"),
        }
    }
    Ok(functions)
}

/// Each function body's size in the code section, its length prefix included.
fn body_sizes(payload: &[u8]) -> Result<Vec<u64>> {
    let mut reader = Reader::new(payload);
    let count = reader.u32()?;
    let mut sizes = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let before = reader.at;
        let len = reader.len()?;
        reader.take(len)?;
        sizes.push((reader.at - before) as u64);
    }
    Ok(sizes)
}

/// The function names of a `name` custom section (subsection 1), by function index.
fn function_names(payload: &[u8]) -> Result<BTreeMap<u32, String>> {
    let mut reader = Reader::new(payload);
    let mut names = BTreeMap::new();
    while !reader.done() {
        let (id, subsection) = reader.section()?;
        if id != 1 {
            continue;
        }
        let mut entries = Reader::new(subsection);
        for _ in 0..entries.u32()? {
            let index = entries.u32()?;
            names.insert(index, entries.name()?.to_string());
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(id: u8, payload: &[u8]) -> Vec<u8> {
        let mut bytes = vec![id, payload.len() as u8];
        bytes.extend_from_slice(payload);
        bytes
    }

    fn name(text: &str) -> Vec<u8> {
        let mut bytes = vec![text.len() as u8];
        bytes.extend_from_slice(text.as_bytes());
        bytes
    }

    /// A core module with one imported function, two bodies (3 and 5 bytes with their
    /// prefixes), 7 bytes of data and names for both bodies, inside a component.
    fn component() -> Vec<u8> {
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        let mut import = vec![1];
        import.extend(name("env"));
        import.extend(name("f"));
        import.extend([0x00, 0x00]);
        module.extend(section(SECTION_IMPORT, &import));
        module.extend(section(SECTION_CODE, &[2, 2, 0, 0x0b, 4, 0, 1, 1, 0x0b]));
        module.extend(section(SECTION_DATA, &[1, 0, 0x41, 0, 0x0b, 1, 0]));
        let mut functions = vec![2, 1];
        functions.extend(name("_ZN10serde_json2de5parse17h0123456789abcdefE"));
        functions.push(2);
        functions.extend(name("memcpy"));
        let mut custom = name("name");
        custom.extend(section(1, &functions));
        module.extend(section(SECTION_CUSTOM, &custom));
        let mut component = b"\0asm\x0d\0\x01\0".to_vec();
        component.extend(section(COMPONENT_CORE_MODULE, &module));
        component
    }

    #[test]
    fn code_is_counted_by_crate_from_the_names() {
        let report = Report::of_component(&component()).unwrap();
        assert_eq!(report.functions, 2);
        assert_eq!(report.code, 9);
        assert_eq!(report.data, 7);
        assert_eq!(report.code_by_crate["serde_json"], 3);
        assert_eq!(report.code_by_crate["(C, compiler and glue symbols)"], 5);
    }

    #[test]
    fn a_truncated_binary_is_an_error() {
        let bytes = component();
        assert!(Report::of_component(&bytes[..bytes.len() - 3]).is_err());
        assert!(Report::of_component(b"\0asm\x0d\0").is_err());
    }

    #[test]
    fn trait_impls_count_for_the_implementing_type() {
        assert_eq!(crate_of("core::fmt::write"), "core");
        assert_eq!(
            crate_of("<kiosque_domain::polls::Poll as core::fmt::Debug>::fmt"),
            "kiosque_domain"
        );
        assert_eq!(crate_of("dlmalloc"), "(C, compiler and glue symbols)");
        assert_eq!(crate_of("<&T as core::fmt::Debug>::fmt"), "core");
        assert_eq!(
            crate_of("<F as spin_sdk::http::router::Handler>::handle"),
            "spin_sdk"
        );
    }
}
