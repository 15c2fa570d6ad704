//! Kiosque's image intake: turns an uploaded image file (JPEG, PNG, GIF or WebP, up to 20 MiB)
//! into safe renditions that carry no metadata, for staff uploads and patrons' contest photos.
//!
//! An upload is never served as it came. [`inspect`] reads only headers and the file's
//! structure: it sniffs the format from magic bytes (never from a name or a declared type),
//! reads the dimensions, and refuses empty, oversized, unknown, too-many-pixel and polyglot
//! files before anything is decoded. [`process`] then decodes the pixels, honours the EXIF
//! orientation and writes four baseline JPEG renditions ([`RenditionKind`]): an encoder that
//! is handed pixels only cannot copy EXIF, GPS, XMP, ICC or comments into its output.
//!
//! It runs inside a Spin component (wasm32-wasip2, one thread, one request), so memory is
//! bounded by construction rather than by luck:
//! - a JPEG is decoded at 1/2, 1/4 or 1/8 of its size in the IDCT when that still covers the
//!   largest rendition, so a 40 MP photo never exists at full size in memory;
//! - a PNG (not interlaced) is decoded row by row into a streaming resizer, so only the output
//!   rendition is ever held;
//! - the decoder memory of every file is estimated from its header and refused above
//!   [`Limits::max_decode_bytes`] before anything is allocated for pixels.
//!
//! A polyglot (a file that is an image and also something a browser or a tool would run or
//! unpack) is refused: markup (`<html`, `<script`, `<svg`, `<!doctype`, `<?php`, `<iframe`,
//! `<body`) or `%PDF-` in the first 1,024 bytes; any byte after the image's end (JPEG EOI,
//! found by walking the segments and entropy-coded data; PNG IEND; GIF trailer; WebP RIFF
//! size) other than up to 4 KiB of zeros; a ZIP end-of-central-directory record in the last
//! 64 KiB (a ZIP hidden inside a segment opens from the end). One exception: complete JPEG
//! images appended after EOI when the first image declares them in an MPF segment, as
//! phones write HDR gain maps (Apple, Android Ultra HDR) and depth maps; refusing those
//! would refuse most recent phone photos. Google's Motion Photos (an MP4 after the JPEG) are
//! refused.
//!
//! Measured with `cargo run --release -p kiosque-imaging --example measure` (the workspace's
//! release profile: opt-level "s", LTO) on the 2-core build machine, while CI was running
//! (best of three); peak heap of `process` from a counting allocator, the input not
//! included. "wasm" is the same example built for wasm32-wasip2 and run in V8 (Node 20, via
//! jco), single-threaded; its linear memory includes the input file.
//!
//! | input (largest accepted of its kind) | file | peak heap | native | wasm | wasm memory |
//! | --- | --- | --- | --- | --- | --- |
//! | JPEG 40 MP baseline 4:2:0 (decoded at 1/2) | 20.0 MB | 43 MiB | 0.56 s | 0.86 s | 63 MiB |
//! | JPEG 16.8 MP (4094²) 4:4:4, decoded full size | 2.5 MB | 96 MiB | 0.56 s | 0.93 s | 99 MiB |
//! | JPEG 24 MP progressive 4:2:0 | 3.0 MB | 94 MiB | 0.36 s | 0.71 s | 98 MiB |
//! | PNG 40 MP RGBA (streamed) | 14.1 MB | 15 MiB | 0.89 s | 1.42 s | 30 MiB |
//! | GIF 40 MP | 9.0 MB | 47 MiB | 0.64 s | 1.00 s | 56 MiB |
//! | WebP lossless 8 MP RGBA | 9.4 MB | 39 MiB | 0.39 s | 0.67 s | 49 MiB |
//! | WebP lossy 20 MP (cwebp -q 85) | 4.6 MB | 98 MiB | 1.59 s | 1.79 s | 108 MiB |
//!
//! So the wasm factor is about 1.5 to 2 (natively `jpeg-decoder` also decodes the colour
//! components on separate threads), and the worst case, a 20 MiB file needing the whole
//! decoder budget, stays near 120 MiB of linear memory. `inspect` alone takes under 10 ms
//! (it walks a 20 MB JPEG's entropy-coded data to find its end). Resampling with Catmull-Rom
//! costs about 0.25 s more than with a triangle filter on the 40 MP PNG (the heaviest case,
//! 40 MP resampled without IDCT scaling) and under 0.1 s on JPEGs; kept for sharpness. The
//! crate adds about 410 KB to a wasm32-wasip2 release cdylib (WebP decoding the largest part).
//!
//! Not handled: colour profiles. Renditions are written as sRGB and an embedded ICC profile is
//! dropped, not applied, so a wide-gamut (Display P3, Adobe RGB) photo loses some saturation.

mod encode;
mod exif;
mod formats;
mod resize;
mod sniff;

#[cfg(test)]
mod tests;

use formats::Analysis;

/// The largest upload accepted: 20 MiB.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

/// What an upload may cost; [`Limits::default`] is what Kiosque accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest file, in bytes.
    pub max_file_bytes: usize,
    /// Most pixels (width × height, as the header declares them) of any accepted image. It
    /// bounds the decoding time: every pixel of the file is entropy-decoded or inflated even
    /// when a JPEG is decoded scaled down.
    pub max_pixels: u64,
    /// Most bytes a decoder may need for the pixels of one image, estimated from its header
    /// (JPEG: the coefficients of a progressive file plus the scaled planes and output; PNG:
    /// rows, or the whole image when interlaced; GIF: the first frame's indices; WebP: the
    /// decoded canvas and the decoder's working buffers). Refused above it as too many pixels.
    /// The renditions themselves add at most about 21 MB (2048² + 1600² + 400² RGB).
    pub max_decode_bytes: u64,
}

impl Default for Limits {
    /// 20 MiB files; 40 megapixels, which covers every phone and most cameras and keeps
    /// `process` near a second in Wasm (1.8 s for the slowest, a 20 MP lossy WebP; see the
    /// crate header); 96 MiB of decoder memory, so that with the renditions and the 20 MiB
    /// upload a request stays near 120 MiB, well inside the 256 MiB of linear memory the dev
    /// host gives a guest. In practice: baseline JPEG, plain PNG and GIF up to 40 MP,
    /// progressive JPEG up to about 30 MP (4:2:0) or 15 MP (4:4:4), interlaced PNG up to
    /// 25 MP, lossy WebP up to 20 MP, lossless, transparent or animated WebP up to 8 MP.
    fn default() -> Self {
        Limits {
            max_file_bytes: MAX_FILE_BYTES,
            max_pixels: 40_000_000,
            max_decode_bytes: 96 * 1024 * 1024,
        }
    }
}

/// An accepted image format, as sniffed from the file's magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    /// JPEG (JFIF or EXIF), baseline or progressive, 8-bit.
    Jpeg,
    /// PNG, including APNG (its default image is used).
    Png,
    /// GIF 87a or 89a; an animated GIF gives its first frame.
    Gif,
    /// WebP, lossy or lossless; an animated WebP gives its first frame.
    WebP,
}

impl SourceFormat {
    /// The IANA media type of the format, e.g. `image/jpeg`.
    pub fn media_type(&self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "image/jpeg",
            SourceFormat::Png => "image/png",
            SourceFormat::Gif => "image/gif",
            SourceFormat::WebP => "image/webp",
        }
    }

    /// A short lowercase name: `jpeg`, `png`, `gif` or `webp`.
    pub fn name(&self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "jpeg",
            SourceFormat::Png => "png",
            SourceFormat::Gif => "gif",
            SourceFormat::WebP => "webp",
        }
    }
}

/// What [`inspect`] learnt from an accepted file's header and structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inspection {
    /// The sniffed format.
    pub format: SourceFormat,
    /// Width in pixels, after the EXIF orientation is applied.
    pub width: u32,
    /// Height in pixels, after the EXIF orientation is applied.
    pub height: u32,
}

/// Header-only check, no pixel decoding: sniffs the format from magic bytes (never trusting a
/// file name or a declared type), reads the dimensions from the header (PNG IHDR, GIF logical
/// screen, JPEG SOFn, WebP VP8/VP8L/VP8X) and the EXIF orientation, and walks the file's
/// structure to its end.
///
/// Refuses, in this order: an empty file, a file over [`Limits::max_file_bytes`], a format
/// that is not an accepted image (naming what was found when recognisable: `svg`, `html`,
/// `xml`, `pdf`, `zip`, `heic`, `avif`, `tiff`, `bmp`, `jpeg-xl`, `mp4`, `unknown`, or an
/// unsupported JPEG variant), markup or a PDF header in the first 1,024 bytes, a header
/// declaring more than [`Limits::max_pixels`] or needing more than
/// [`Limits::max_decode_bytes`] to decode (nothing is allocated for pixels), a broken
/// structure, and data after the image's end or a ZIP archive inside it (polyglots).
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<Inspection, ImageError> {
    let analysis = formats::analyse(bytes, limits)?;
    let (width, height) = analysis.oriented_size();
    Ok(Inspection {
        format: analysis.format,
        width,
        height,
    })
}

/// One of the four renditions made of every upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RenditionKind {
    /// Fits in 400×400: lists and grids.
    Thumbnail,
    /// Fits in 1600×1600: shown on a page.
    Page,
    /// Fits in 2048×2048 and is under 1,000,000 bytes: posted to Bluesky (whose blob limit
    /// that is) and Mastodon (16 MB, 8.3 MP).
    Social,
    /// Fits in 1440×1440, on a white frame when needed so that its proportions are between
    /// 4:5 (portrait) and 1.91:1 (landscape): Instagram refuses a picture outside that range,
    /// and a phone's 3:4 portrait is outside it. The frame keeps the whole picture (a child's
    /// drawing, a poster) where Instagram's own app would crop it.
    Framed,
}

impl RenditionKind {
    /// All kinds, in the order of [`Processed::renditions`].
    pub const ALL: [RenditionKind; 4] = [
        RenditionKind::Thumbnail,
        RenditionKind::Page,
        RenditionKind::Social,
        RenditionKind::Framed,
    ];

    /// A short name for keys and file names: `thumb`, `page`, `social` or `framed`.
    pub fn name(&self) -> &'static str {
        match self {
            RenditionKind::Thumbnail => "thumb",
            RenditionKind::Page => "page",
            RenditionKind::Social => "social",
            RenditionKind::Framed => "framed",
        }
    }

    /// The square box the rendition fits in, in pixels.
    pub fn max_side(&self) -> u32 {
        match self {
            RenditionKind::Thumbnail => 400,
            RenditionKind::Page => 1600,
            RenditionKind::Social => 2048,
            RenditionKind::Framed => 1440,
        }
    }
}

/// A rendition: a baseline JPEG with no EXIF, XMP, ICC or comment segment (only JFIF APP0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendition {
    /// Which rendition this is.
    pub kind: RenditionKind,
    /// Width in pixels (oriented).
    pub width: u32,
    /// Height in pixels (oriented).
    pub height: u32,
    /// The JPEG file.
    pub bytes: Vec<u8>,
}

impl Rendition {
    /// The media type of [`Rendition::bytes`]: always `image/jpeg`.
    pub fn media_type(&self) -> &'static str {
        "image/jpeg"
    }
}

/// The result of [`process`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Processed {
    /// The sniffed source format.
    pub format: SourceFormat,
    /// The source's width in pixels, after the EXIF orientation is applied.
    pub width: u32,
    /// The source's height in pixels, after the EXIF orientation is applied.
    pub height: u32,
    /// Thumbnail, page, social and framed renditions, in that order ([`RenditionKind::ALL`]).
    pub renditions: Vec<Rendition>,
}

impl Processed {
    /// The rendition of a kind.
    pub fn rendition(&self, kind: RenditionKind) -> &Rendition {
        // `process` always makes all four, in the enum's order.
        &self.renditions[kind as usize]
    }
}

/// Checks the file with [`inspect`], decodes it (the first frame of an animation), applies the
/// EXIF orientation, flattens transparency on white and encodes the four renditions. Never
/// upscales: an image smaller than a rendition's box keeps its size (the framed one may gain
/// its white frame).
pub fn process(bytes: &[u8], limits: &Limits) -> Result<Processed, ImageError> {
    let analysis = formats::analyse(bytes, limits)?;
    let (width, height) = analysis.oriented_size();
    let renditions = make_renditions(bytes, &analysis, limits)?;
    Ok(Processed {
        format: analysis.format,
        width,
        height,
        renditions,
    })
}

/// The narrowest proportions of the framed rendition, width over height: Instagram's 4:5.
pub const FRAMED_MIN_RATIO: (u32, u32) = (4, 5);
/// The widest: Instagram's 1.91:1.
pub const FRAMED_MAX_RATIO: (u32, u32) = (191, 100);

fn make_renditions(
    bytes: &[u8],
    analysis: &Analysis,
    limits: &Limits,
) -> Result<Vec<Rendition>, ImageError> {
    // Sizes come from the stored size (a JPEG may be decoded scaled down). The social
    // rendition is resampled from the decoded pixels as they stream out of the decoder; the
    // page rendition from the social one and the thumbnail from the page one: each step
    // shrinks with a good filter, and the source is read once.
    let target =
        |kind: RenditionKind| resize::fit(analysis.width, analysis.height, kind.max_side());
    let mut sink = resize::SourceSink::new(target(RenditionKind::Social));
    formats::decode(bytes, analysis, limits, &mut sink)?;
    let social = sink.finish()?;
    let (w, h) = target(RenditionKind::Page);
    let page = social.resized(w, h);
    let (w, h) = target(RenditionKind::Thumbnail);
    let thumb = page.resized(w, h);
    let (w, h) = target(RenditionKind::Framed);
    let framed = page.resized(w, h);
    // Oriented last, on the small images; each pixel buffer is dropped once encoded. The
    // frame goes on after the orientation: it is the displayed proportions that count.
    let orientation = analysis.orientation;
    let thumb = encode::rendition(RenditionKind::Thumbnail, &thumb.oriented(orientation))?;
    let page = encode::rendition(RenditionKind::Page, &page.oriented(orientation))?;
    let framed = framed
        .oriented(orientation)
        .framed(FRAMED_MIN_RATIO, FRAMED_MAX_RATIO);
    let framed = encode::rendition(RenditionKind::Framed, &framed)?;
    let social = encode::social(&social.oriented(orientation))?;
    Ok(vec![thumb, page, social, framed])
}

/// Why an upload was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// The file has no bytes.
    #[error("the file is empty")]
    Empty,
    /// The file is over [`Limits::max_file_bytes`].
    #[error("the file is {bytes} bytes, more than the {max} accepted")]
    TooLarge {
        /// The file's size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// Not one of the accepted formats; `found` names what it is when recognisable.
    #[error("unsupported file type (found {found}); send a jpeg, png, gif or webp image")]
    Unsupported {
        /// `svg`, `html`, `xml`, `pdf`, `zip`, `heic`, `avif`, `tiff`, `bmp`, `jpeg-xl`,
        /// `mp4`, `unknown`, or an unsupported variant such as `lossless jpeg`.
        found: &'static str,
    },
    /// The header declares more pixels than accepted, or more than the decoder budget allows
    /// for this kind of image.
    #[error(
        "the image is {width}x{height} pixels, more than the {max} accepted for this kind of image"
    )]
    TooManyPixels {
        /// Declared width (as stored, before orientation).
        width: u32,
        /// Declared height (as stored, before orientation).
        height: u32,
        /// The most pixels accepted for this kind of image.
        max: u64,
    },
    /// The file is an image and also something else a browser or a tool would run or unpack.
    #[error("the file is not only an image: {reason}")]
    Polyglot {
        /// What was found: "data after the end of the image", "markup in the file header",
        /// "pdf header in the file", "zip archive inside the image".
        reason: &'static str,
    },
    /// The file claims to be an image but its structure or data is broken.
    #[error("corrupt image: {detail}")]
    Corrupt {
        /// What was wrong, for the logs.
        detail: String,
    },
}

impl ImageError {
    /// A stable snake_case code for API answers.
    pub fn code(&self) -> &'static str {
        match self {
            ImageError::Empty => "empty_file",
            ImageError::TooLarge { .. } => "file_too_large",
            ImageError::Unsupported { .. } => "unsupported_image_type",
            ImageError::TooManyPixels { .. } => "too_many_pixels",
            ImageError::Polyglot { .. } => "polyglot_file",
            ImageError::Corrupt { .. } => "corrupt_image",
        }
    }

    pub(crate) fn corrupt(detail: impl Into<String>) -> Self {
        ImageError::Corrupt {
            detail: detail.into(),
        }
    }
}
