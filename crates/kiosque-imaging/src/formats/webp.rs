//! WebP: RIFF chunks walked to the RIFF size, the VP8 / VP8L / VP8X header read for the size,
//! the `EXIF` chunk for the orientation, and decoding by `image-webp` (whole image: the
//! format has no row-by-row decoding).

use std::io::Cursor;

use super::{Analysis, Parsed, Plan, check_budget, check_pixels, corrupt, le_u16, le_u32, to_rgb};
use crate::resize::RowSink;
use crate::{ImageError, Limits};

const NAME: &str = "webp";

pub(super) fn parse<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Parsed<'a>, ImageError> {
    let err = |detail: &str| corrupt(NAME, detail);
    let riff_size = le_u32(bytes, 4).ok_or_else(|| err("truncated header"))? as usize;
    // The RIFF size counts from byte 8. (An odd size leaves a zero pad byte, which the
    // trailing-data check accepts as padding.)
    let body_end = 8usize
        .checked_add(riff_size)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| err("truncated: shorter than its RIFF size"))?;

    let first = chunk_at(bytes, 12, body_end)?;
    let (width, height, simple_lossy) = match first.0 {
        b"VP8 " => {
            let d = first.1;
            if d.len() < 10 || d[0] & 1 != 0 || d[3..6] != [0x9D, 0x01, 0x2A] {
                return Err(err("invalid VP8 key frame header"));
            }
            let w = le_u16(d, 6).unwrap_or(0) & 0x3FFF;
            let h = le_u16(d, 8).unwrap_or(0) & 0x3FFF;
            (u32::from(w), u32::from(h), true)
        }
        b"VP8L" => {
            let d = first.1;
            let bits = le_u32(d, 1).ok_or_else(|| err("truncated VP8L header"))?;
            if d[0] != 0x2F || bits >> 29 != 0 {
                return Err(err("invalid VP8L header"));
            }
            ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, false)
        }
        b"VP8X" => {
            let d = first.1;
            if d.len() < 10 {
                return Err(err("truncated VP8X header"));
            }
            let u24 = |at: usize| {
                u32::from(d[at]) | u32::from(d[at + 1]) << 8 | u32::from(d[at + 2]) << 16
            };
            let (alpha, animation) = (d[0] & 0x10 != 0, d[0] & 0x02 != 0);
            (u24(4) + 1, u24(7) + 1, !alpha && !animation)
        }
        _ => return Err(err("unknown first chunk")),
    };
    if width == 0 || height == 0 {
        return Err(err("no size"));
    }
    check_pixels(width, height, limits)?;

    let mut pos = 12;
    let mut exif = None;
    let mut lossless = first.0 == b"VP8L";
    let mut image = first.0 != b"VP8X";
    while pos < body_end {
        let (kind, data) = chunk_at(bytes, pos, body_end)?;
        match kind {
            b"EXIF" if exif.is_none() => exif = Some(data),
            b"VP8L" => {
                lossless = true;
                image = true;
            }
            b"VP8 " | b"ANMF" => image = true,
            _ => {}
        }
        pos += 8 + data.len() + (data.len() & 1);
    }
    if !image {
        return Err(err("no image data"));
    }
    // Lossy without alpha: the output (3 bytes a pixel) and the YUV frame (1.5). Otherwise up
    // to: output (4), the lossless decoder's ARGB buffer (4), an alpha plane decoded as a
    // lossless image (4 + 1), or an animation's canvas; 12 bytes a pixel covers each case.
    let per_pixel = if simple_lossy && !lossless { 5 } else { 12 };
    check_budget(
        width,
        height,
        u64::from(width) * u64::from(height) * per_pixel,
        limits,
    )?;
    Ok(Parsed {
        width,
        height,
        exif,
        end: body_end,
        plan: Plan::WebP,
    })
}

/// The chunk at `pos`: its FourCC and data, which must end within the RIFF body.
fn chunk_at(bytes: &[u8], pos: usize, body_end: usize) -> Result<(&[u8; 4], &[u8]), ImageError> {
    let err = |detail: &str| corrupt(NAME, detail);
    let kind: &[u8; 4] = bytes
        .get(pos..pos + 4)
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| err("truncated chunk"))?;
    let size = le_u32(bytes, pos + 4).ok_or_else(|| err("truncated chunk"))? as usize;
    let end = (pos + 8)
        .checked_add(size)
        .filter(|&e| e <= body_end && e <= bytes.len());
    let end = end.ok_or_else(|| err("chunk beyond the RIFF size"))?;
    Ok((kind, &bytes[pos + 8..end]))
}

pub(super) fn decode(
    bytes: &[u8],
    analysis: &Analysis,
    budget: u64,
    sink: &mut dyn RowSink,
) -> Result<(), ImageError> {
    let fail = |e: image_webp::DecodingError| corrupt(NAME, e);
    let mut decoder = image_webp::WebPDecoder::new(Cursor::new(bytes)).map_err(fail)?;
    decoder.set_memory_limit(usize::try_from(budget).unwrap_or(usize::MAX));
    let (width, height) = decoder.dimensions();
    if (width, height) != (analysis.width, analysis.height) {
        return Err(corrupt(NAME, "inconsistent size"));
    }
    let channels = if decoder.has_alpha() { 4 } else { 3 };
    let size = decoder
        .output_buffer_size()
        .ok_or_else(|| corrupt(NAME, "image too large"))?;
    let mut image = vec![0; size];
    decoder.read_image(&mut image).map_err(fail)?;
    drop(decoder);
    sink.begin(width, height);
    let mut rgb = vec![0; width as usize * 3];
    for row in image.chunks_exact(width as usize * channels) {
        to_rgb(row, channels, &mut rgb);
        sink.row(&rgb);
    }
    Ok(())
}
