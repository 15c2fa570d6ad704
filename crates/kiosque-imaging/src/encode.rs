//! Baseline JPEG encoding of the renditions.
//!
//! The encoder is handed pixels only and writes SOI, the JFIF APP0 segment, the tables, one
//! interleaved baseline scan and EOI: no EXIF, XMP, ICC or comment segment can reach the
//! output.

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

use crate::resize::Rgb;
use crate::{ImageError, Rendition, RenditionKind};

/// Quality of the thumbnail and page renditions, and the first one tried for social.
const QUALITY: u8 = 85;

/// Social qualities tried, in order, at full size before the size is reduced.
const SOCIAL_QUALITIES: [u8; 3] = [QUALITY, 75, 65];

/// Bluesky refuses blobs of 1,000,000 bytes or more; aim a little under it.
pub(crate) const SOCIAL_MAX_BYTES: usize = 976_000;

pub(crate) fn rendition(kind: RenditionKind, image: &Rgb) -> Result<Rendition, ImageError> {
    Ok(Rendition {
        kind,
        width: image.width,
        height: image.height,
        bytes: jpeg(image, QUALITY)?,
    })
}

/// The social rendition: quality steps down first, then the size, until the file is under
/// [`SOCIAL_MAX_BYTES`].
pub(crate) fn social(image: &Rgb) -> Result<Rendition, ImageError> {
    let mut last = 0;
    for quality in SOCIAL_QUALITIES {
        let bytes = jpeg(image, quality)?;
        if bytes.len() < SOCIAL_MAX_BYTES {
            return Ok(done(image, bytes));
        }
        last = bytes.len();
    }
    let quality = SOCIAL_QUALITIES[SOCIAL_QUALITIES.len() - 1];
    let (mut width, mut height) = (image.width, image.height);
    loop {
        // The size of a JPEG grows about with its pixel count: shrink the area by the excess,
        // with a 10% margin, and by at least a tenth of each side so the loop ends quickly.
        let factor = ((SOCIAL_MAX_BYTES as f64 * 0.9 / last as f64).sqrt()).min(0.9);
        width = ((f64::from(width) * factor) as u32).max(1);
        height = ((f64::from(height) * factor) as u32).max(1);
        let smaller = image.resized(width, height);
        let bytes = jpeg(&smaller, quality)?;
        if bytes.len() < SOCIAL_MAX_BYTES || (width == 1 && height == 1) {
            return Ok(done(&smaller, bytes));
        }
        last = bytes.len();
    }
}

fn done(image: &Rgb, bytes: Vec<u8>) -> Rendition {
    Rendition {
        kind: RenditionKind::Social,
        width: image.width,
        height: image.height,
        bytes,
    }
}

fn jpeg(image: &Rgb, quality: u8) -> Result<Vec<u8>, ImageError> {
    let (width, height) = (
        u16::try_from(image.width).map_err(|_| ImageError::corrupt("rendition too wide"))?,
        u16::try_from(image.height).map_err(|_| ImageError::corrupt("rendition too tall"))?,
    );
    let mut out = Vec::with_capacity(image.data.len() / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    // 4:2:0, what every viewer expects of a photo; baseline, one interleaved scan.
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder
        .encode(&image.data, width, height, ColorType::Rgb)
        .map_err(|e| ImageError::corrupt(format!("jpeg encoding failed: {e}")))?;
    Ok(out)
}
