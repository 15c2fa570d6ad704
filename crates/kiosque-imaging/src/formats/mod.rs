//! The four accepted formats: each module reads its header, walks its structure to the image's
//! end (finding the EXIF block on the way), estimates its decoder's memory, and decodes rows
//! into a [`RowSink`].

mod gif;
mod jpeg;
mod png;
mod webp;

use crate::resize::RowSink;
use crate::{ImageError, Limits, SourceFormat, exif, sniff};

/// An EXIF orientation, 1 (as stored) to 8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Orientation(u8);

impl Orientation {
    /// Values outside 1..=8 mean "as stored".
    pub(crate) fn new(value: u8) -> Self {
        Orientation(if (1..=8).contains(&value) { value } else { 1 })
    }

    pub(crate) fn value(self) -> u8 {
        self.0
    }

    /// Orientations 5 to 8 turn the image a quarter, so width and height trade places.
    pub(crate) fn swaps_axes(self) -> bool {
        self.0 >= 5
    }
}

impl Default for Orientation {
    fn default() -> Self {
        Orientation(1)
    }
}

/// Everything [`crate::inspect`] learns, and what [`decode`] needs.
#[derive(Clone, Debug)]
pub(crate) struct Analysis {
    pub format: SourceFormat,
    /// As stored, before orientation.
    pub width: u32,
    pub height: u32,
    pub orientation: Orientation,
    plan: Plan,
}

impl Analysis {
    pub(crate) fn oriented_size(&self) -> (u32, u32) {
        if self.orientation.swaps_axes() {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

/// How to decode an accepted file.
#[derive(Clone, Copy, Debug)]
enum Plan {
    /// Decode at `scale`/8 of the size (1, 2, 4 or 8), in the IDCT.
    Jpeg {
        scale: u8,
    },
    Png {
        interlaced: bool,
    },
    Gif,
    WebP,
}

/// What a format module found in a file.
struct Parsed<'a> {
    width: u32,
    height: u32,
    exif: Option<&'a [u8]>,
    /// Offset just past the image's last byte.
    end: usize,
    plan: Plan,
}

pub(crate) fn analyse(bytes: &[u8], limits: &Limits) -> Result<Analysis, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    if bytes.len() > limits.max_file_bytes {
        return Err(ImageError::TooLarge {
            bytes: bytes.len(),
            max: limits.max_file_bytes,
        });
    }
    let format = sniff::format(bytes)?;
    if let Some(reason) = sniff::header_polyglot(bytes) {
        return Err(ImageError::Polyglot { reason });
    }
    let parsed = match format {
        SourceFormat::Jpeg => jpeg::parse(bytes, limits)?,
        SourceFormat::Png => png::parse(bytes, limits)?,
        SourceFormat::Gif => gif::parse(bytes, limits)?,
        SourceFormat::WebP => webp::parse(bytes, limits)?,
    };
    sniff::check_trailer(bytes, parsed.end)?;
    sniff::check_zip_tail(bytes)?;
    let orientation = parsed
        .exif
        .and_then(exif::orientation)
        .map(Orientation::new)
        .unwrap_or_default();
    Ok(Analysis {
        format,
        width: parsed.width,
        height: parsed.height,
        orientation,
        plan: parsed.plan,
    })
}

/// Decodes an analysed file into `sink` (the first frame of an animation), with the decoders'
/// own allocation limits set to `limits.max_decode_bytes`.
pub(crate) fn decode(
    bytes: &[u8],
    analysis: &Analysis,
    limits: &Limits,
    sink: &mut dyn RowSink,
) -> Result<(), ImageError> {
    let budget = limits.max_decode_bytes;
    match analysis.plan {
        Plan::Jpeg { scale } => jpeg::decode(bytes, analysis, scale, budget, sink),
        Plan::Png { interlaced } => png::decode(bytes, analysis, interlaced, budget, sink),
        Plan::Gif => gif::decode(bytes, analysis, budget, sink),
        Plan::WebP => webp::decode(bytes, analysis, budget, sink),
    }
}

/// Refuses an image over [`Limits::max_pixels`]; called as soon as a header gives the size.
fn check_pixels(width: u32, height: u32, limits: &Limits) -> Result<(), ImageError> {
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(ImageError::TooManyPixels {
            width,
            height,
            max: limits.max_pixels,
        });
    }
    Ok(())
}

/// Refuses an image whose decoder would need more than [`Limits::max_decode_bytes`]; the
/// error gives the pixel count that would fit, for images laid out like this one.
fn check_budget(width: u32, height: u32, cost: u64, limits: &Limits) -> Result<(), ImageError> {
    if cost > limits.max_decode_bytes {
        let pixels = u64::from(width) * u64::from(height);
        let max = (u128::from(pixels) * u128::from(limits.max_decode_bytes)
            / u128::from(cost.max(1))) as u64;
        return Err(ImageError::TooManyPixels { width, height, max });
    }
    Ok(())
}

fn corrupt(format: &str, detail: impl std::fmt::Display) -> ImageError {
    ImageError::corrupt(format!("{format}: {detail}"))
}

/// Turns decoded 8-bit rows of 1 to 4 channels (grey, grey+alpha, RGB, RGBA) into RGB,
/// flattening alpha on white.
fn to_rgb(src: &[u8], channels: usize, out: &mut [u8]) {
    match channels {
        1 => {
            for (g, o) in src.iter().zip(out.chunks_exact_mut(3)) {
                o.fill(*g);
            }
        }
        2 => {
            for (p, o) in src.chunks_exact(2).zip(out.chunks_exact_mut(3)) {
                o.fill(on_white(p[0], p[1]));
            }
        }
        3 => {
            let n = out.len().min(src.len());
            out[..n].copy_from_slice(&src[..n]);
        }
        _ => {
            for (p, o) in src.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
                o[0] = on_white(p[0], p[3]);
                o[1] = on_white(p[1], p[3]);
                o[2] = on_white(p[2], p[3]);
            }
        }
    }
}

/// A colour component with straight alpha, composited over white.
fn on_white(c: u8, a: u8) -> u8 {
    let (c, a) = (u32::from(c), u32::from(a));
    ((c * a + 255 * (255 - a) + 127) / 255) as u8
}

fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
