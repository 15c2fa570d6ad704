//! Format sniffing from magic bytes and the polyglot checks that do not depend on the format.

use crate::{ImageError, SourceFormat};

/// How many leading bytes browsers sniff (WHATWG MIME Sniffing reads 1,445; 1,024 is what the
/// HTML and PDF readers scan for their own headers), and so where markup must not appear.
pub(crate) const SNIFF_LEN: usize = 1024;

/// Trailing bytes after an image's end that are accepted: zeros only (they can carry nothing)
/// and at most one 4 KiB block, as some writers pad files to.
const MAX_ZERO_PADDING: usize = 4096;

/// The format of an accepted image, or what the file is instead.
pub(crate) fn format(bytes: &[u8]) -> Result<SourceFormat, ImageError> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(SourceFormat::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(SourceFormat::Png);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Ok(SourceFormat::Gif);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(SourceFormat::WebP);
    }
    Err(ImageError::Unsupported {
        found: unsupported_kind(bytes),
    })
}

fn unsupported_kind(bytes: &[u8]) -> &'static str {
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    if head.starts_with(b"%PDF-") {
        return "pdf";
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return "zip";
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return "tiff";
    }
    if head.starts_with(b"BM") {
        return "bmp";
    }
    if head.starts_with(&[0xFF, 0x0A]) || head.starts_with(b"\0\0\0\x0CJXL \r\n\x87\n") {
        return "jpeg-xl";
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return match &head[8..12] {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => "heic",
            b"avif" | b"avis" => "avif",
            _ => "mp4",
        };
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = &text[text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len())..];
    if text.starts_with(b"<") {
        if contains_ignore_case(head, b"<svg") {
            return "svg";
        }
        if [
            "<html",
            "<!doctype html",
            "<head",
            "<body",
            "<script",
            "<!--",
        ]
        .iter()
        .any(|tag| contains_ignore_case(head, tag.as_bytes()))
        {
            return "html";
        }
        if starts_with_ignore_case(text, b"<?xml") {
            return "xml";
        }
    }
    "unknown"
}

/// A polyglot reason when the first [`SNIFF_LEN`] bytes hold markup a browser would render or
/// run, or a PDF header a reader would open.
pub(crate) fn header_polyglot(bytes: &[u8]) -> Option<&'static str> {
    const MARKUP: [&[u8]; 7] = [
        b"<html",
        b"<script",
        b"<svg",
        b"<!doctype",
        b"<?php",
        b"<iframe",
        b"<body",
    ];
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    if MARKUP.iter().any(|tag| contains_ignore_case(head, tag)) {
        return Some("markup in the file header");
    }
    // PDF readers look for `%PDF-` anywhere in the first 1,024 bytes.
    if contains_ignore_case(head, b"%pdf-") {
        return Some("pdf header in the file");
    }
    None
}

/// Checks what follows the image's last byte (`end`): nothing, or a little zero padding.
pub(crate) fn check_trailer(bytes: &[u8], end: usize) -> Result<(), ImageError> {
    let rest = &bytes[end.min(bytes.len())..];
    if rest.len() <= MAX_ZERO_PADDING && rest.iter().all(|&b| b == 0) {
        Ok(())
    } else {
        Err(ImageError::Polyglot {
            reason: "data after the end of the image",
        })
    }
}

/// Refuses a file whose tail holds a ZIP end-of-central-directory record: ZIP readers find an
/// archive from its end, so an archive hidden inside an image segment (a JPEG APPn, a PNG
/// ancillary chunk) opens even though nothing follows the image's end.
pub(crate) fn check_zip_tail(bytes: &[u8]) -> Result<(), ImageError> {
    // The record is 22 bytes plus a comment of at most 65,535 bytes, so readers search the
    // last 65,557 bytes for it.
    const RECORD: usize = 22;
    let from = bytes.len().saturating_sub(RECORD + 65_535);
    let tail = &bytes[from..];
    let mut at = 0;
    while let Some(found) = find(&tail[at..], b"PK\x05\x06") {
        let record = &tail[at + found..];
        if record.len() >= RECORD && plausible_end_record(record, from + at + found) {
            return Err(ImageError::Polyglot {
                reason: "zip archive inside the image",
            });
        }
        at += found + 1;
    }
    Ok(())
}

/// An end-of-central-directory record as a ZIP reader would accept it: one disk, as many
/// entries on it as in all, and a central directory that ends before the record. Random
/// image data matching all of this by chance is vanishingly unlikely.
fn plausible_end_record(record: &[u8], position: usize) -> bool {
    let u16_at = |i: usize| u16::from_le_bytes([record[i], record[i + 1]]);
    let u32_at =
        |i: usize| u32::from_le_bytes([record[i], record[i + 1], record[i + 2], record[i + 3]]);
    let (disk, cd_disk) = (u16_at(4), u16_at(6));
    let (entries_here, entries) = (u16_at(8), u16_at(10));
    let (cd_size, cd_offset) = (u32_at(12) as u64, u32_at(16) as u64);
    disk == 0
        && cd_disk == 0
        && entries_here == entries
        && cd_size.saturating_add(cd_offset) <= position as u64
        && (entries > 0 || cd_size == 0)
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.len() >= needle.len()
        && haystack
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

fn starts_with_ignore_case(haystack: &[u8], prefix: &[u8]) -> bool {
    haystack.len() >= prefix.len() && haystack[..prefix.len()].eq_ignore_ascii_case(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(bytes: &[u8]) -> &'static str {
        match format(bytes) {
            Err(ImageError::Unsupported { found }) => found,
            other => panic!("expected unsupported, got {other:?}"),
        }
    }

    #[test]
    fn names_what_it_finds() {
        assert_eq!(found(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "svg");
        assert_eq!(
            found(b"\xEF\xBB\xBF  <?xml version=\"1.0\"?>\n<svg></svg>"),
            "svg"
        );
        assert_eq!(
            found(b"<!DOCTYPE html><html><body>hi</body></html>"),
            "html"
        );
        assert_eq!(found(b"<?xml version=\"1.0\"?><feed/>"), "xml");
        assert_eq!(found(b"%PDF-1.7\n%\xE2\xE3"), "pdf");
        assert_eq!(found(b"PK\x03\x04\x14\0\0\0"), "zip");
        assert_eq!(found(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"), "heic");
        assert_eq!(found(b"\0\0\0\x1cftypavif\0\0\0\0avifmif1"), "avif");
        assert_eq!(found(b"II*\0\x08\0\0\0"), "tiff");
        assert_eq!(found(b"BM\x3a\0\0\0"), "bmp");
        assert_eq!(found(b"RIFF\x04\0\0\0WAVE"), "unknown");
        assert_eq!(found(b"hello"), "unknown");
    }

    #[test]
    fn markup_is_found_in_any_case_within_the_sniffed_bytes() {
        let mut bytes = b"GIF89a".to_vec();
        bytes.extend_from_slice(b"...<ScRiPt>alert(1)</script>");
        assert_eq!(header_polyglot(&bytes), Some("markup in the file header"));
        let mut late = vec![b'.'; SNIFF_LEN];
        late.extend_from_slice(b"<script>");
        assert_eq!(header_polyglot(&late), None);
        assert_eq!(
            header_polyglot(b"\xFF\xD8\xFF...%PDF-1.4"),
            Some("pdf header in the file")
        );
    }

    #[test]
    fn a_little_zero_padding_is_not_a_trailer() {
        let bytes = [1, 2, 3, 0, 0, 0];
        assert_eq!(check_trailer(&bytes, 3), Ok(()));
        assert_eq!(check_trailer(&bytes, 6), Ok(()));
        assert!(check_trailer(&[1, 2, 3, 0, 7], 3).is_err());
        assert!(check_trailer(&vec![0; 10_000], 1).is_err());
    }
}
