//! Feature tests of `inspect` and `process` on images generated here: every format, the
//! orientation, metadata removal, the limits, polyglots and damaged files.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use crate::{ImageError, Limits, Processed, RenditionKind, SourceFormat, inspect, process};

// ---------------------------------------------------------------------------------------------
// A per-thread allocation meter, so a test can show that refusing a file allocated (almost)
// nothing, and bound the peak heap of `process`.

struct Meter;

thread_local! {
    static CURRENT: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    // `try_with`: the allocator also runs while thread-locals are torn down.
    let _ = CURRENT.try_with(|c| {
        let now = c.get() + delta;
        c.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as isize);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static METER: Meter = Meter;

/// Runs `f` and returns its result with the peak heap growth on this thread during it.
fn peak_heap<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = CURRENT.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    (out, (PEAK.with(Cell::get) - start).max(0) as usize)
}

// ---------------------------------------------------------------------------------------------
// Image makers.

fn pixels(width: u32, height: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    let mut data = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            data.extend_from_slice(&f(x, y));
        }
    }
    data
}

/// A deterministic xorshift, for noise and damage.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn jpeg(width: u32, height: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    jpeg_with(width, height, &pixels(width, height, f), 90, false)
}

fn jpeg_with(width: u32, height: u32, rgb: &[u8], quality: u8, progressive: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_progressive(progressive);
    encoder
        .encode(
            rgb,
            width as u16,
            height as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
    out
}

fn segment(marker: u8, data: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&(data.len() as u16 + 2).to_be_bytes());
    s.extend_from_slice(data);
    s
}

fn insert_after_soi(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    for s in segments {
        out.extend_from_slice(s);
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// An APP1 Exif segment whose IFD0 holds the orientation and a pointer to a GPS IFD whose
/// latitude reference is followed by `secret` bytes.
fn exif_app1(orientation: u16, secret: &[u8]) -> Vec<u8> {
    // IFD0 at 8: 2 entries (orientation, GPS IFD pointer), next-IFD 0: 8 + 2 + 24 + 4 = 38.
    let gps_ifd = 38u32;
    let secret_at = gps_ifd + 2 + 12 + 4;
    let mut tiff = crate::exif::tests::tiff(
        false,
        &[
            (0x0112, 3, 1, [orientation as u8, 0, 0, 0]),
            (0x8825, 4, 1, gps_ifd.to_le_bytes()),
        ],
        &[],
    );
    assert_eq!(tiff.len(), gps_ifd as usize);
    // GPS IFD: one ASCII entry (GPSLatitudeRef-like), pointing at the secret.
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0002u16.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend_from_slice(&(secret.len() as u32).to_le_bytes());
    tiff.extend_from_slice(&secret_at.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(secret);
    let mut data = b"Exif\0\0".to_vec();
    data.extend_from_slice(&tiff);
    segment(0xE1, &data)
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    c.extend_from_slice(&crc32(&c[4..]).to_be_bytes());
    c
}

/// zlib with stored (uncompressed) deflate blocks: enough for small test images.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = if data.is_empty() {
        vec![&[]]
    } else {
        data.chunks(65_535).collect()
    };
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        out.extend_from_slice(&(block.len() as u16).to_le_bytes());
        out.extend_from_slice(&(!(block.len() as u16)).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// An 8-bit PNG of `channels` samples a pixel (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA), with
/// `chunks` inserted before IDAT.
fn png(
    width: u32,
    height: u32,
    channels: u8,
    samples: &[u8],
    interlaced: bool,
    chunks: &[Vec<u8>],
) -> Vec<u8> {
    let colour = [0, 0, 4, 2, 6][channels as usize];
    let bpp = channels as usize;
    let mut raw = Vec::new();
    let passes: &[(u32, u32, u32, u32)] = if interlaced {
        &[
            (0, 0, 8, 8),
            (4, 0, 8, 8),
            (0, 4, 4, 8),
            (2, 0, 4, 4),
            (0, 2, 2, 4),
            (1, 0, 2, 2),
            (0, 1, 1, 2),
        ]
    } else {
        &[(0, 0, 1, 1)]
    };
    for &(x0, y0, dx, dy) in passes {
        if x0 >= width || y0 >= height {
            continue;
        }
        for y in (y0..height).step_by(dy as usize) {
            raw.push(0);
            for x in (x0..width).step_by(dx as usize) {
                let i = (y * width + x) as usize * bpp;
                raw.extend_from_slice(&samples[i..i + bpp]);
            }
        }
    }
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, colour, 0, 0, u8::from(interlaced)]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(png_chunk(b"IHDR", &ihdr));
    for c in chunks {
        out.extend_from_slice(c);
    }
    out.extend(png_chunk(b"IDAT", &zlib_stored(&raw)));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

fn png_rgb(width: u32, height: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    png(width, height, 3, &pixels(width, height, f), false, &[])
}

/// A GIF with a two-colour global palette (red, blue), and frames given as
/// `(left, top, width, height, index of every pixel)`.
fn gif(width: u16, height: u16, frames: &[(u16, u16, u16, u16, u8)]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder =
            ::gif::Encoder::new(&mut out, width, height, &[255, 0, 0, 0, 0, 255]).unwrap();
        for &(left, top, w, h, index) in frames {
            let mut frame =
                ::gif::Frame::from_indexed_pixels(w, h, vec![index; w as usize * h as usize], None);
            frame.left = left;
            frame.top = top;
            encoder.write_frame(&frame).unwrap();
        }
    }
    out
}

fn webp_lossless(width: u32, height: u32, rgba: &[u8], exif: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = image_webp::WebPEncoder::new(&mut out);
    if let Some(exif) = exif {
        encoder.set_exif_metadata(exif);
    }
    encoder
        .encode(rgba, width, height, image_webp::ColorType::Rgba8)
        .unwrap();
    out
}

// cwebp 1.2.4 -q 80 of a 24x16 image: left half red (220,20,20), right half blue (20,20,220);
// the second one with the left half fully transparent.
include!("tests_webp_fixtures.rs");

// ---------------------------------------------------------------------------------------------
// Checks.

fn decode_rendition(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut d = jpeg_decoder::Decoder::new(bytes);
    let px = d.decode().unwrap();
    let info = d.info().unwrap();
    assert_eq!(info.pixel_format, jpeg_decoder::PixelFormat::RGB24);
    (u32::from(info.width), u32::from(info.height), px)
}

fn pixel_at(image: &(u32, u32, Vec<u8>), x: u32, y: u32) -> [u8; 3] {
    let i = ((y * image.0 + x) * 3) as usize;
    [image.2[i], image.2[i + 1], image.2[i + 2]]
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(&x, y)| x.abs_diff(y) <= 12)
}

/// The markers of a JPEG up to its first scan.
fn markers(jpeg: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    let mut pos = 2;
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF {
        let marker = jpeg[pos + 1];
        out.push(marker);
        if marker == 0xDA {
            break;
        }
        pos += 2 + u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]) as usize;
    }
    out
}

/// The sizes of the thumbnail, page and social renditions (the framed one is checked apart).
fn sizes(p: &Processed) -> Vec<(u32, u32)> {
    p.renditions
        .iter()
        .filter(|r| r.kind != RenditionKind::Framed)
        .map(|r| (r.width, r.height))
        .collect()
}

fn framed_size(p: &Processed) -> (u32, u32) {
    let framed = p.rendition(RenditionKind::Framed);
    (framed.width, framed.height)
}

/// `process` with the default limits, and a check of what every result must satisfy.
fn check(bytes: &[u8]) -> Result<Processed, ImageError> {
    let limits = Limits::default();
    let inspected = inspect(bytes, &limits);
    let processed = process(bytes, &limits);
    match (&inspected, &processed) {
        (Ok(i), Ok(p)) => {
            assert_eq!((i.format, i.width, i.height), (p.format, p.width, p.height));
            let kinds: Vec<_> = p.renditions.iter().map(|r| r.kind).collect();
            assert_eq!(kinds, RenditionKind::ALL);
            for r in &p.renditions {
                assert!(r.width <= r.kind.max_side() && r.height <= r.kind.max_side());
                if r.kind == RenditionKind::Framed {
                    // The white frame may add to one side; the proportions are Instagram's.
                    let (w, h) = (u64::from(r.width), u64::from(r.height));
                    assert!(
                        w * 5 >= h * 4 && w * 100 <= h * 191,
                        "{w}x{h} in 4:5..1.91:1"
                    );
                    assert!(r.width <= p.width || r.height <= p.height, "never upscaled");
                } else {
                    assert!(r.width <= p.width && r.height <= p.height, "never upscaled");
                }
                let decoded = decode_rendition(&r.bytes);
                assert_eq!((decoded.0, decoded.1), (r.width, r.height));
                // JFIF APP0, then only tables, a baseline frame header and the scan.
                let found = markers(&r.bytes);
                assert_eq!(found[0], 0xE0);
                assert!(found.contains(&0xC0) && found.ends_with(&[0xDA]));
                assert!(
                    found[1..]
                        .iter()
                        .all(|m| matches!(m, 0xDB | 0xC4 | 0xC0 | 0xDD | 0xDA)),
                    "{found:x?}"
                );
            }
            assert!(p.rendition(RenditionKind::Social).bytes.len() < 1_000_000);
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "inspect and process refuse alike"),
        // `process` may still find damage in the compressed data that `inspect` cannot see.
        (Ok(_), Err(ImageError::Corrupt { .. })) => {}
        other => panic!("inspect and process disagree: {other:?}"),
    }
    processed
}

fn refused(bytes: &[u8]) -> ImageError {
    match check(bytes) {
        Ok(p) => panic!("accepted: {:?} {}x{}", p.format, p.width, p.height),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[test]
fn every_format_decodes_to_its_size_and_colours() {
    let halves = |x: u32, _| {
        if x < 150 {
            [220, 20, 20]
        } else {
            [20, 20, 220]
        }
    };
    let mut rgba = Vec::new();
    for p in pixels(300, 200, halves).chunks(3) {
        rgba.extend_from_slice(p);
        rgba.push(255);
    }
    let cases = [
        (SourceFormat::Jpeg, jpeg(300, 200, halves), (300, 200)),
        (
            SourceFormat::Jpeg,
            jpeg_with(300, 200, &pixels(300, 200, halves), 90, true),
            (300, 200),
        ),
        (SourceFormat::Png, png_rgb(300, 200, halves), (300, 200)),
        (
            SourceFormat::Png,
            png(300, 200, 3, &pixels(300, 200, halves), true, &[]),
            (300, 200),
        ),
        (
            SourceFormat::WebP,
            webp_lossless(300, 200, &rgba, None),
            (300, 200),
        ),
        (SourceFormat::WebP, LOSSY_WEBP.to_vec(), (24, 16)),
    ];
    for (format, bytes, (w, h)) in cases {
        let p = check(&bytes).unwrap();
        assert_eq!((p.format, p.width, p.height), (format, w, h));
        assert_eq!(sizes(&p), [(w, h); 3], "{format:?} is not upscaled");
        let page = decode_rendition(&p.rendition(RenditionKind::Page).bytes);
        assert!(
            near(pixel_at(&page, 2, h / 2), [220, 20, 20]),
            "{format:?}: {:?}",
            pixel_at(&page, 2, h / 2)
        );
        assert!(
            near(pixel_at(&page, w - 3, h / 2), [20, 20, 220]),
            "{format:?}"
        );
    }
    // GIF: a red frame over the top-left quarter of a blue one.
    let p = check(&gif(300, 200, &[(0, 0, 300, 200, 1), (0, 0, 150, 100, 0)])).unwrap();
    assert_eq!((p.format, p.width, p.height), (SourceFormat::Gif, 300, 200));
    let page = decode_rendition(&p.rendition(RenditionKind::Page).bytes);
    assert!(
        near(pixel_at(&page, 10, 10), [0, 0, 255]),
        "only the first frame is shown"
    );
}

#[test]
fn large_images_get_three_sizes() {
    let p = check(&jpeg(3000, 1000, |x, y| {
        [(x % 256) as u8, (y % 256) as u8, 128]
    }))
    .unwrap();
    assert_eq!(sizes(&p), [(400, 133), (1600, 533), (2048, 683)]);
    // 3:1 is wider than Instagram's 1.91:1: 1440 x 480 on a frame 1440 x 754.
    assert_eq!(framed_size(&p), (1440, 754));
    let p = check(&png_rgb(900, 1800, |x, _| [(x % 256) as u8, 0, 0])).unwrap();
    assert_eq!(sizes(&p), [(200, 400), (800, 1600), (900, 1800)]);
    // 1:2 is taller than 4:5: 720 x 1440 on a frame 1152 x 1440, white at the sides.
    assert_eq!(framed_size(&p), (1152, 1440));
    let framed = decode_rendition(&p.rendition(RenditionKind::Framed).bytes);
    assert!(near(pixel_at(&framed, 5, 720), [255, 255, 255]));
    // A one-pixel strip, decoded at 1/4 scale in the IDCT: still wide enough for social.
    let p = check(&jpeg(8200, 1, |x, _| [(x % 256) as u8, 0, 0])).unwrap();
    assert_eq!(sizes(&p), [(400, 1), (1600, 1), (2048, 1)]);
    assert_eq!(framed_size(&p), (1440, 754));
}

#[test]
fn exif_orientation_turns_the_image() {
    // 30x20, left half red, right half blue, stored sideways: orientation 6 turns it a
    // quarter clockwise, so the stored left (red) is shown on top.
    let stored = jpeg(
        30,
        20,
        |x, _| if x < 15 { [255, 0, 0] } else { [0, 0, 255] },
    );
    let bytes = insert_after_soi(&stored, &[exif_app1(6, b"N")]);
    let info = inspect(&bytes, &Limits::default()).unwrap();
    assert_eq!((info.width, info.height), (20, 30));
    let p = check(&bytes).unwrap();
    assert_eq!(sizes(&p), [(20, 30); 3]);
    let thumb = decode_rendition(&p.rendition(RenditionKind::Thumbnail).bytes);
    assert!(
        near(pixel_at(&thumb, 10, 3), [255, 0, 0]),
        "{:?}",
        pixel_at(&thumb, 10, 3)
    );
    assert!(near(pixel_at(&thumb, 10, 26), [0, 0, 255]));

    // The same in a PNG eXIf chunk (orientation 8: a quarter anticlockwise, red at the bottom)
    // and a WebP EXIF chunk (orientation 3: upside down, red on the right).
    let exif = crate::exif::tests::tiff(false, &[(0x0112, 3, 1, [8, 0, 0, 0])], &[]);
    let samples = pixels(
        30,
        20,
        |x, _| if x < 15 { [255, 0, 0] } else { [0, 0, 255] },
    );
    let p = check(&png(
        30,
        20,
        3,
        &samples,
        false,
        &[png_chunk(b"eXIf", &exif)],
    ))
    .unwrap();
    assert_eq!((p.width, p.height), (20, 30));
    let page = decode_rendition(&p.rendition(RenditionKind::Page).bytes);
    assert!(near(pixel_at(&page, 10, 26), [255, 0, 0]));
    let rgba: Vec<u8> = samples
        .chunks(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    let exif = crate::exif::tests::tiff(true, &[(0x0112, 3, 1, [0, 3, 0, 0])], &[]);
    let p = check(&webp_lossless(30, 20, &rgba, Some(exif))).unwrap();
    assert_eq!((p.width, p.height), (30, 20));
    let page = decode_rendition(&p.rendition(RenditionKind::Page).bytes);
    assert!(near(pixel_at(&page, 27, 10), [255, 0, 0]));
}

#[test]
fn metadata_never_reaches_a_rendition() {
    let base = jpeg(64, 48, |x, y| [x as u8 * 4, y as u8 * 5, 90]);
    let mut icc = b"ICC_PROFILE\0\x01\x01".to_vec();
    icc.extend_from_slice(b"ICC-SECRET-PROFILE-BYTES");
    let bytes = insert_after_soi(
        &base,
        &[
            exif_app1(1, b"GPS-SECRET 48.8566N 2.3522E"),
            segment(0xE2, &icc),
            segment(0xFE, b"COMMENT-SECRET from the camera"),
            segment(
                0xE1,
                b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>XMP-SECRET</x:xmpmeta>",
            ),
        ],
    );
    let p = check(&bytes).unwrap();
    for r in &p.renditions {
        assert!(
            !markers(&r.bytes)
                .iter()
                .any(|m| matches!(m, 0xE1 | 0xE2 | 0xFE))
        );
        assert_eq!(
            crate::sniff::find(&r.bytes, b"SECRET"),
            None,
            "{:?}",
            r.kind
        );
        assert_eq!(crate::sniff::find(&r.bytes, b"Exif"), None);
    }

    let exif = crate::exif::tests::tiff(false, &[(0x0112, 3, 1, [1, 0, 0, 0])], b"GPS-SECRET");
    let chunks = [
        png_chunk(b"tEXt", b"Comment\0TEXT-SECRET"),
        png_chunk(b"eXIf", &exif),
        png_chunk(b"iCCP", b"icc\0\0ICC-SECRET"),
    ];
    let p = check(&png(
        40,
        30,
        3,
        &pixels(40, 30, |x, _| [x as u8, 0, 0]),
        false,
        &chunks,
    ))
    .unwrap();
    for r in &p.renditions {
        assert_eq!(crate::sniff::find(&r.bytes, b"SECRET"), None);
        assert!(
            !markers(&r.bytes)
                .iter()
                .any(|m| matches!(m, 0xE1 | 0xE2 | 0xFE))
        );
    }
}

#[test]
fn a_gigapixel_header_is_refused_without_allocating() {
    // IHDR 50000x40000 (2 gigapixels) and a tiny IDAT.
    let mut ihdr = 50_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&40_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend(png_chunk(b"IHDR", &ihdr));
    bytes.extend(png_chunk(b"IDAT", &zlib_stored(&[0; 16])));
    bytes.extend(png_chunk(b"IEND", &[]));
    assert!(bytes.len() < 100);
    let expected = ImageError::TooManyPixels {
        width: 50_000,
        height: 40_000,
        max: 40_000_000,
    };
    let limits = Limits::default();
    let (result, peak) = peak_heap(|| inspect(&bytes, &limits));
    assert_eq!(result, Err(expected.clone()));
    assert!(peak < 4096, "inspect allocated {peak} bytes");
    let (result, peak) = peak_heap(|| process(&bytes, &limits));
    assert_eq!(result.unwrap_err(), expected);
    assert!(peak < 4096, "process allocated {peak} bytes");
    assert_eq!(expected.code(), "too_many_pixels");

    // A GIF whose logical screen is 65535x65535.
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0]);
    gif.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B]);
    let (result, peak) = peak_heap(|| process(&gif, &limits));
    assert_eq!(
        result.unwrap_err(),
        ImageError::TooManyPixels {
            width: 65_535,
            height: 65_535,
            max: 40_000_000
        }
    );
    assert!(peak < 4096, "process allocated {peak} bytes");

    // A 16383x16383 lossless WebP header (268 MP) and a 65500x65500 JPEG frame header.
    let mut webp = b"RIFF\x12\0\0\0WEBPVP8L\x05\0\0\0\x2f".to_vec();
    webp.extend_from_slice(&(0x3FFFu32 | 0x3FFF << 14).to_le_bytes());
    webp.push(0);
    assert_eq!(refused(&webp).code(), "too_many_pixels");
    let huge = insert_after_soi(
        &[0xFF, 0xD8, 0xFF, 0xD9],
        &[segment(0xC0, &[8, 0xFF, 0xDC, 0xFF, 0xDC, 1, 1, 0x11, 0])],
    );
    assert_eq!(refused(&huge).code(), "too_many_pixels");
}

#[test]
fn the_decoder_budget_refuses_what_would_not_fit() {
    // A progressive 4:2:0 file keeps every coefficient: 3 bytes a pixel. With a budget of
    // 1 MiB, a 800x600 progressive JPEG cannot be decoded, a baseline one can (scaled).
    let rgb = pixels(800, 600, |x, y| [(x % 256) as u8, (y % 256) as u8, 0]);
    // Baseline 800x600 4:2:0 needs 2.2 MB (planes and output), progressive 1.4 MB more.
    let limits = Limits {
        max_decode_bytes: 3 << 20,
        ..Limits::default()
    };
    let progressive = jpeg_with(800, 600, &rgb, 80, true);
    match process(&progressive, &limits) {
        Err(ImageError::TooManyPixels {
            width: 800,
            height: 600,
            max,
        }) => assert!(max < 480_000 && max > 300_000, "{max}"),
        other => panic!("{other:?}"),
    }
    let baseline = jpeg_with(800, 600, &rgb, 80, false);
    assert!(process(&baseline, &limits).is_ok());
    // Interlaced PNG needs the whole image (1.9 MB), a plain one a few rows.
    let limits = Limits {
        max_decode_bytes: 1 << 20,
        ..Limits::default()
    };
    let samples = pixels(800, 600, |_, _| [1, 2, 3]);
    assert_eq!(
        process(&png(800, 600, 3, &samples, true, &[]), &limits)
            .unwrap_err()
            .code(),
        "too_many_pixels"
    );
    assert!(process(&png(800, 600, 3, &samples, false, &[]), &limits).is_ok());
}

#[test]
fn polyglots_are_refused() {
    // Larger than the 1,024 sniffed bytes, so that what follows it is not sniffed as markup.
    let base = jpeg(128, 96, |x, y| {
        [(x * y % 251) as u8, (x * 7 % 256) as u8, y as u8]
    });
    assert!(base.len() > 2048);
    let polyglot = |bytes: &[u8]| match refused(bytes) {
        ImageError::Polyglot { reason } => reason,
        other => panic!("{other:?}"),
    };
    let mut zip = base.clone();
    zip.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0payload.sh");
    assert_eq!(polyglot(&zip), "data after the end of the image");
    let mut html = base.clone();
    html.extend_from_slice(b"<html><script>alert(1)</script></html>");
    assert_eq!(polyglot(&html), "data after the end of the image");
    // A few zero bytes of padding are fine.
    let mut padded = base.clone();
    padded.extend_from_slice(&[0; 7]);
    assert!(check(&padded).is_ok());

    // A ZIP archive hidden in an APP segment, its end record reaching the end of the file.
    let mut app = b"ZIP\0".to_vec();
    app.extend_from_slice(b"PK\x03\x04payload");
    let mut record = b"PK\x05\x06\0\0\0\0\x01\0\x01\0".to_vec();
    record.extend_from_slice(&11u32.to_le_bytes()); // central directory size
    record.extend_from_slice(&0u32.to_le_bytes()); // and offset: before the record
    app.extend_from_slice(&record);
    let tail_len = (base.len() - 2) as u16;
    app.extend_from_slice(&tail_len.to_le_bytes());
    assert_eq!(
        polyglot(&insert_after_soi(&base, &[segment(0xE9, &app)])),
        "zip archive inside the image"
    );

    // Markup in the first bytes: a GIF comment extension, a JPEG comment.
    let mut gif_script = b"GIF89a\x01\0\x01\0\0\0\0".to_vec();
    gif_script.extend_from_slice(b"\x21\xFE\x1e<script>alert('gif')</script>\0");
    gif_script.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B]);
    assert_eq!(polyglot(&gif_script), "markup in the file header");
    let com = insert_after_soi(&base, &[segment(0xFE, b"<!DOCTYPE html><BODY onload=x()>")]);
    assert_eq!(polyglot(&com), "markup in the file header");
    let pdf = insert_after_soi(&base, &[segment(0xFE, b"%PDF-1.4 1 0 obj")]);
    assert_eq!(polyglot(&pdf), "pdf header in the file");

    // After IEND, after the GIF trailer, beyond the RIFF size.
    let mut after_iend = png_rgb(40, 40, |_, _| [0; 3]);
    after_iend.extend_from_slice(b"<?php system($_GET['c']); ?>");
    assert_eq!(polyglot(&after_iend), "data after the end of the image");
    let mut after_trailer = gif(8, 8, &[(0, 0, 8, 8, 0)]);
    after_trailer.extend_from_slice(b"PK\x03\x04");
    assert_eq!(polyglot(&after_trailer), "data after the end of the image");
    let mut after_riff = LOSSY_WEBP.to_vec();
    after_riff.extend_from_slice(b"#!/bin/sh\n");
    assert_eq!(polyglot(&after_riff), "data after the end of the image");
}

#[test]
fn phones_appended_images_are_accepted_when_declared() {
    // Apple's HDR gain map and Android's Ultra HDR: a second JPEG after EOI, listed in MPF.
    let primary = jpeg(40, 30, |_, _| [200, 200, 200]);
    let gain_map = jpeg(20, 15, |_, _| [30, 30, 30]);
    let mut declared = insert_after_soi(&primary, &[segment(0xE2, b"MPF\0MM\0*\0\0\0\x08")]);
    declared.extend_from_slice(&gain_map);
    let p = check(&declared).unwrap();
    assert_eq!((p.width, p.height), (40, 30));
    let mut undeclared = primary.clone();
    undeclared.extend_from_slice(&gain_map);
    assert_eq!(refused(&undeclared).code(), "polyglot_file");
    let mut declared_then_junk = declared.clone();
    declared_then_junk.extend_from_slice(b"junk");
    assert_eq!(refused(&declared_then_junk).code(), "polyglot_file");
}

#[test]
fn other_files_are_refused_with_what_they_are() {
    let unsupported = |bytes: &[u8]| match refused(bytes) {
        ImageError::Unsupported { found } => found,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        unsupported(b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>"),
        "svg"
    );
    assert_eq!(unsupported(b"<!doctype html><title>x</title>"), "html");
    assert_eq!(unsupported(b"%PDF-1.7\n1 0 obj\n"), "pdf");
    assert_eq!(unsupported(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"), "heic");
    // A lossless (SOF3) JPEG is named as such.
    let lossless = insert_after_soi(
        &[0xFF, 0xD8, 0xFF, 0xD9],
        &[segment(0xC3, &[8, 0, 8, 0, 8, 1, 1, 0x11, 0])],
    );
    assert_eq!(unsupported(&lossless), "lossless jpeg");

    assert_eq!(refused(&[]), ImageError::Empty);
    let big = vec![0u8; crate::MAX_FILE_BYTES + 1];
    assert_eq!(
        refused(&big),
        ImageError::TooLarge {
            bytes: crate::MAX_FILE_BYTES + 1,
            max: crate::MAX_FILE_BYTES
        }
    );
}

#[test]
fn errors_have_stable_codes_and_plain_messages() {
    let cases = [
        (ImageError::Empty, "empty_file", "the file is empty"),
        (
            ImageError::TooLarge { bytes: 21, max: 20 },
            "file_too_large",
            "the file is 21 bytes, more than the 20 accepted",
        ),
        (
            ImageError::Unsupported { found: "svg" },
            "unsupported_image_type",
            "unsupported file type (found svg); send a jpeg, png, gif or webp image",
        ),
        (
            ImageError::TooManyPixels {
                width: 3,
                height: 2,
                max: 5,
            },
            "too_many_pixels",
            "the image is 3x2 pixels, more than the 5 accepted for this kind of image",
        ),
        (
            ImageError::Polyglot {
                reason: "markup in the file header",
            },
            "polyglot_file",
            "the file is not only an image: markup in the file header",
        ),
        (
            ImageError::corrupt("png: bad"),
            "corrupt_image",
            "corrupt image: png: bad",
        ),
    ];
    for (error, code, message) in cases {
        assert_eq!(error.code(), code);
        assert_eq!(error.to_string(), message);
    }
    assert_eq!(SourceFormat::WebP.media_type(), "image/webp");
    assert_eq!(RenditionKind::Thumbnail.name(), "thumb");
}

#[test]
fn damaged_files_are_corrupt_not_a_panic() {
    let good = jpeg(64, 48, |x, y| [x as u8 * 3, y as u8 * 4, 50]);
    assert_eq!(refused(&good[..good.len() / 2]).code(), "corrupt_image");
    assert_eq!(
        refused(&good[..good.len() - 2]).code(),
        "corrupt_image",
        "no EOI"
    );
    let mut garbage_segment = good.clone();
    garbage_segment[3] = 0x01; // APP0's length is now huge.
    garbage_segment[4] = 0xFF;
    assert_eq!(refused(&garbage_segment).code(), "corrupt_image");

    let mut rgba = Vec::new();
    for (i, p) in pixels(32, 24, |x, y| [x as u8 * 8, y as u8 * 10, 7])
        .chunks(3)
        .enumerate()
    {
        rgba.extend_from_slice(p);
        rgba.push((i * 7) as u8);
    }
    let samples = [
        jpeg_with(
            48,
            40,
            &pixels(48, 40, |x, y| [x as u8, y as u8, 99]),
            85,
            true,
        ),
        good,
        png(32, 24, 4, &rgba, false, &[]),
        png(32, 24, 4, &rgba, true, &[]),
        gif(32, 24, &[(0, 0, 32, 24, 1), (4, 4, 8, 8, 0)]),
        webp_lossless(32, 24, &rgba, None),
        LOSSY_WEBP.to_vec(),
        ALPHA_WEBP.to_vec(),
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for sample in &samples {
        assert!(check(sample).is_ok());
        for cut in (0..sample.len()).step_by((sample.len() / 97).max(1)) {
            let _ = check(&sample[..cut]);
        }
        for _ in 0..400 {
            let mut damaged = sample.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() % damaged.len() as u64) as usize;
                damaged[at] = rng.next() as u8;
            }
            let _ = check(&damaged);
        }
    }
}

#[test]
fn a_noisy_photo_fits_bluesky() {
    let mut rng = Rng(42);
    let rgb: Vec<u8> = (0..4000 * 3000 * 3).map(|_| rng.next() as u8).collect();
    let bytes = jpeg_with(4000, 3000, &rgb, 75, false);
    drop(rgb);
    assert!(
        bytes.len() > 5_000_000 && bytes.len() < crate::MAX_FILE_BYTES,
        "{}",
        bytes.len()
    );
    let p = check(&bytes).unwrap();
    let social = p.rendition(RenditionKind::Social);
    assert!(
        social.bytes.len() < 1_000_000,
        "{} bytes",
        social.bytes.len()
    );
    assert!(social.width <= 2048 && social.height <= 2048);
    assert!(
        social.width >= 800,
        "shrunk no more than needed: {}",
        social.width
    );
    assert_eq!((p.width, p.height), (4000, 3000));
}

#[test]
fn transparency_is_flattened_on_white() {
    // Left half fully transparent (black underneath), right half opaque blue, middle column
    // half-transparent red.
    let mut rgba = Vec::new();
    for _y in 0..20 {
        for x in 0..40u32 {
            rgba.extend_from_slice(&match x {
                0..20 => [0, 0, 0, 0],
                20 => [255, 0, 0, 128],
                _ => [0, 0, 255, 255],
            });
        }
    }
    for bytes in [
        png(40, 20, 4, &rgba, false, &[]),
        webp_lossless(40, 20, &rgba, None),
        ALPHA_WEBP.to_vec(),
    ] {
        let p = check(&bytes).unwrap();
        let page = decode_rendition(&p.rendition(RenditionKind::Page).bytes);
        assert!(
            near(pixel_at(&page, 4, 8), [255, 255, 255]),
            "{:?}",
            pixel_at(&page, 4, 8)
        );
        assert!(pixel_at(&page, page.0 - 3, 8)[2] > 200);
    }
    // Grey+alpha PNG and a GIF frame that leaves part of the screen uncovered.
    let ga: Vec<u8> = (0..16 * 16).flat_map(|_| [0u8, 0]).collect();
    let page =
        decode_rendition(&check(&png(16, 16, 2, &ga, false, &[])).unwrap().renditions[1].bytes);
    assert!(near(pixel_at(&page, 8, 8), [255, 255, 255]));
    let p = check(&gif(40, 40, &[(0, 0, 20, 40, 1)])).unwrap();
    let page = decode_rendition(&p.renditions[1].bytes);
    assert!(near(pixel_at(&page, 35, 20), [255, 255, 255]));
    assert!(near(pixel_at(&page, 5, 20), [0, 0, 255]));
}

#[test]
fn cmyk_and_grey_jpegs_come_out_in_rgb() {
    let mut out = Vec::new();
    let cmyk: Vec<u8> = (0..16 * 16)
        .flat_map(|i| {
            if i % 16 < 8 {
                [0, 0, 0, 0]
            } else {
                [0, 255, 255, 0]
            }
        })
        .collect();
    jpeg_encoder::Encoder::new(&mut out, 95)
        .encode(&cmyk, 16, 16, jpeg_encoder::ColorType::Cmyk)
        .unwrap();
    let page = decode_rendition(&check(&out).unwrap().renditions[1].bytes);
    assert!(
        near(pixel_at(&page, 2, 8), [255, 255, 255]),
        "{:?}",
        pixel_at(&page, 2, 8)
    );
    assert!(
        near(pixel_at(&page, 13, 8), [255, 0, 0]),
        "{:?}",
        pixel_at(&page, 13, 8)
    );

    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 95)
        .encode(&[77; 16 * 16], 16, 16, jpeg_encoder::ColorType::Luma)
        .unwrap();
    let page = decode_rendition(&check(&out).unwrap().renditions[1].bytes);
    assert!(near(pixel_at(&page, 8, 8), [77, 77, 77]));
}
