//! Turns the project's OpenAPI description (`openapi.yaml` at the top, written in YAML for
//! people) into the JSON that `/api/openapi.json` serves, so the document and what the
//! component serves never drift and no generated file is committed. A YAML error fails the
//! build, with its line.
//!
//! The JSON is stored gzipped (RFC 1952: a fixed 10-byte header, the deflate stream, CRC-32
//! and length): about 30 KB instead of 200 KB in the `.wasm`, sent as is to the clients that
//! accept gzip (all browsers and API tools) and inflated for the others.

use std::path::Path;

fn main() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi.yaml");
    println!("cargo:rerun-if-changed={}", source.display());
    let yaml = std::fs::read_to_string(&source)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
    let document: serde_json::Value = serde_yaml::from_str(&yaml)
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", source.display()));
    let json = serde_json::to_vec(&document).expect("a YAML document is valid JSON");

    // Header: magic, deflate, no flags, no modification time, no extra flags, unknown OS.
    let mut gzip = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    gzip.extend(miniz_oxide::deflate::compress_to_vec(&json, 10));
    gzip.extend(crc32fast::hash(&json).to_le_bytes());
    let length = u32::try_from(json.len()).expect("the description is under 4 GiB");
    gzip.extend(length.to_le_bytes());

    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("openapi.json.gz");
    std::fs::write(&out, gzip).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
