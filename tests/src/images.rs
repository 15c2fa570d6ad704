//! Image files made in code for the media tests: a photo carrying what a phone writes (EXIF
//! orientation, a GPS position, a description), and files built to hurt (a header declaring
//! two gigapixels, polyglots), and the media library's upload protocol.

use reqwest::Method;
use serde_json::{Value, json};

use crate::TestApp;

/// What the test photo's metadata says, to look for in the served bytes.
pub const PHOTO_SECRET: &[u8] = b"KIOSQUE-SECRET-48.8566N-2.3522E";

/// A noisy `width` x `height` RGB photo as a JPEG (quality 95, so it is large: noise does
/// not compress), stored sideways with EXIF orientation 6 ("rotate 90° clockwise to view"),
/// a GPS IFD and an image description holding [`PHOTO_SECRET`].
pub fn phone_photo(width: u16, height: u16) -> Vec<u8> {
    let mut seed: u32 = 0x1234_5678;
    let pixels: Vec<u8> = (0..usize::from(width) * usize::from(height) * 3)
        .map(|i| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            // A gradient under the noise, so the picture has a direction to check.
            ((seed >> 24) as u8 / 2).wrapping_add((i % 256) as u8 / 2)
        })
        .collect();
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 95);
    encoder
        .add_exif_metadata(&exif_with_gps(6))
        .expect("a small EXIF segment");
    encoder
        .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
        .expect("encodable pixels");
    out
}

/// A big-endian TIFF structure: IFD0 with Orientation, ImageDescription and a GPS IFD
/// pointer; the GPS IFD with a latitude reference and a processing method (the secret).
fn exif_with_gps(orientation: u16) -> Vec<u8> {
    let secret_len = PHOTO_SECRET.len() as u32 + 1;
    // Layout: header (8) | IFD0: 2 + 3*12 + 4 = 42 (at 8) | GPS IFD: 2 + 2*12 + 4 = 30
    // (at 50) | description (at 80) | processing method (after it).
    let description_at = 80u32;
    let method_at = description_at + secret_len;
    let mut t = Vec::new();
    t.extend_from_slice(b"MM\0\x2a\0\0\0\x08");
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        t.extend_from_slice(&tag.to_be_bytes());
        t.extend_from_slice(&kind.to_be_bytes());
        t.extend_from_slice(&count.to_be_bytes());
        t.extend_from_slice(&value);
    };
    t.extend_from_slice(&3u16.to_be_bytes());
    let o = orientation.to_be_bytes();
    entry(&mut t, 0x010E, 2, secret_len, description_at.to_be_bytes());
    entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
    entry(&mut t, 0x8825, 4, 1, 50u32.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(t.len(), 50);
    t.extend_from_slice(&2u16.to_be_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut t, 0x001B, 7, secret_len, method_at.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(t.len(), 80);
    t.extend_from_slice(PHOTO_SECRET);
    t.push(0);
    t.extend_from_slice(PHOTO_SECRET);
    t.push(0);
    t
}

/// A valid PNG signature and header declaring `width` x `height` (8-bit RGB), then a tiny
/// compressed stream and the end: a few dozen bytes that would decode to gigabytes.
pub fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // zlib: a stored empty block would be wrong-sized; a short deflate of zeros is enough to
    // look like the start of a bomb.
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x60, 0x18, 0x05, 0x00, 0x00],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// A small real JPEG followed by an HTML page: an image to a decoder, a page to anything
/// that sniffs the end (or an archive tool that reads it from the end).
pub fn jpeg_html_polyglot() -> Vec<u8> {
    let mut out = Vec::new();
    let pixels = vec![200u8; 32 * 32 * 3];
    jpeg_encoder::Encoder::new(&mut out, 80)
        .encode(&pixels, 32, 32, jpeg_encoder::ColorType::Rgb)
        .expect("encodable pixels");
    out.extend_from_slice(b"<html><body><script>alert(document.cookie)</script></body></html>");
    out
}

/// The segments of a JPEG before its scan: `(marker, payload)`. For checking that a
/// rendition carries no metadata segment.
pub fn jpeg_segments(bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    assert_eq!(&bytes[..2], b"\xFF\xD8", "a JPEG starts with SOI");
    let mut segments = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() {
        assert_eq!(bytes[at], 0xFF, "a marker at {at}");
        let marker = bytes[at + 1];
        let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        segments.push((marker, bytes[at + 4..at + 2 + len].to_vec()));
        if marker == 0xDA {
            break; // start of scan: entropy-coded data follows
        }
        at += 2 + len;
    }
    segments
}

/// Width and height of a JPEG, from its frame header.
pub fn jpeg_size(bytes: &[u8]) -> (u16, u16) {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().expect("a JPEG header");
    let info = decoder.info().expect("frame info");
    (info.width, info.height)
}

/// Sends `file` as `filename` through the parts protocol, parts in reverse order (the
/// server must not care); the answer of the completion.
pub fn upload(app: &TestApp, filename: &str, file: &[u8], description: Value) -> (u16, Value) {
    let id = send_parts(app, filename, file);
    let done = app.post_json_as_admin(&format!("/api/media/uploads/{id}/complete"), &description);
    let status = done.status().as_u16();
    (status, done.json().expect("a JSON answer"))
}

/// A medium of the library: a phone photo (EXIF, GPS) `width` x `height` stored sideways
/// ([`phone_photo`]), uploaded with `description` (`{"alt": ...}` or `{}`): the medium as
/// the completion answers it.
pub fn library_medium(
    app: &TestApp,
    name: &str,
    width: u16,
    height: u16,
    description: Value,
) -> Value {
    let (status, uploaded) = upload(app, name, &phone_photo(width, height), description);
    assert_eq!(status, 201, "{uploaded}");
    uploaded["medium"].clone()
}

/// [`library_medium`] without a description: its id.
pub fn library_photo(app: &TestApp, name: &str, width: u16, height: u16) -> String {
    let medium = library_medium(app, name, width, height, json!({}));
    medium["id"].as_str().expect("a medium id").to_owned()
}

/// Starts an upload of `file` and sends all its parts (last first): the upload's id, ready
/// to complete.
pub fn send_parts(app: &TestApp, filename: &str, file: &[u8]) -> String {
    let started = app.post_json_as_admin_ok(
        "/api/media/uploads",
        &json!({"filename": filename, "size": file.len()}),
    );
    let id = started["upload"]["id"].as_str().unwrap().to_owned();
    let part_size = started["upload"]["part_size"].as_u64().unwrap() as usize;
    let parts = started["upload"]["parts"].as_u64().unwrap() as usize;
    assert_eq!(parts, file.len().div_ceil(part_size));
    for n in (0..parts).rev() {
        let part = &file[n * part_size..((n + 1) * part_size).min(file.len())];
        let sent = put_part(app, &id, n, part.to_vec());
        assert_eq!(sent.status(), 204, "part {n}");
    }
    id
}

pub fn put_part(
    app: &TestApp,
    upload_id: &str,
    n: usize,
    bytes: Vec<u8>,
) -> reqwest::blocking::Response {
    app.send(
        app.request(
            Method::PUT,
            &format!("/api/media/uploads/{upload_id}/parts/{n}"),
        )
        .bearer_auth(&app.admin_token)
        .header("content-type", "application/octet-stream")
        .body(bytes),
    )
}
