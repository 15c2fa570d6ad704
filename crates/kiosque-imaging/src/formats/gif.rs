//! GIF: blocks walked to the trailer (0x3B), the logical screen read for the size, and the
//! first frame decoded by the `gif` crate as palette indices, composited on the screen.

use std::num::NonZeroU64;

use super::{Analysis, Parsed, Plan, check_budget, check_pixels, corrupt, le_u16};
use crate::resize::RowSink;
use crate::{ImageError, Limits};

const NAME: &str = "gif";

pub(super) fn parse<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Parsed<'a>, ImageError> {
    let err = |detail: &str| corrupt(NAME, detail);
    let truncated = || err("truncated: no trailer");
    let width = u32::from(le_u16(bytes, 6).ok_or_else(truncated)?);
    let height = u32::from(le_u16(bytes, 8).ok_or_else(truncated)?);
    let flags = *bytes.get(10).ok_or_else(truncated)?;
    if width == 0 || height == 0 {
        return Err(err("the logical screen has no size"));
    }
    check_pixels(width, height, limits)?;
    let mut pos = 13;
    if flags & 0x80 != 0 {
        pos += 3 << ((flags & 7) + 1);
    }
    let mut first_frame = None;
    let end = loop {
        match *bytes.get(pos).ok_or_else(truncated)? {
            // Extension: label, then data sub-blocks.
            0x21 => pos = skip_sub_blocks(bytes, pos + 2)?,
            // Image descriptor, optional local colour table, LZW code size, sub-blocks.
            0x2C => {
                let (w, h) = (le_u16(bytes, pos + 5), le_u16(bytes, pos + 7));
                let flags = *bytes.get(pos + 9).ok_or_else(truncated)?;
                let (w, h) = (
                    u32::from(w.ok_or_else(truncated)?),
                    u32::from(h.ok_or_else(truncated)?),
                );
                first_frame.get_or_insert((w, h));
                pos += 10;
                if flags & 0x80 != 0 {
                    pos += 3 << ((flags & 7) + 1);
                }
                pos = skip_sub_blocks(bytes, pos + 1)?;
            }
            0x3B => break pos + 1,
            _ => return Err(err("unknown block")),
        }
    };
    let (frame_w, frame_h) = first_frame.ok_or_else(|| err("no image"))?;
    // The decoder holds the first frame's indices, one byte a pixel, however it sits on the
    // screen; the frame may even be larger than the screen.
    check_pixels(frame_w, frame_h, limits)?;
    check_budget(
        width,
        height,
        u64::from(frame_w) * u64::from(frame_h) + u64::from(width) * 3,
        limits,
    )?;
    Ok(Parsed {
        width,
        height,
        exif: None,
        end,
        plan: Plan::Gif,
    })
}

/// Skips data sub-blocks (a length byte, then that many bytes) up to the empty one.
fn skip_sub_blocks(bytes: &[u8], mut pos: usize) -> Result<usize, ImageError> {
    loop {
        let len = *bytes
            .get(pos)
            .ok_or_else(|| corrupt(NAME, "truncated: no trailer"))?;
        pos += 1 + usize::from(len);
        if len == 0 {
            return Ok(pos);
        }
    }
}

pub(super) fn decode(
    bytes: &[u8],
    analysis: &Analysis,
    budget: u64,
    sink: &mut dyn RowSink,
) -> Result<(), ImageError> {
    let fail = |e: ::gif::DecodingError| corrupt(NAME, e);
    let mut options = ::gif::DecodeOptions::new();
    options.set_color_output(::gif::ColorOutput::Indexed);
    options.set_memory_limit(::gif::MemoryLimit::Bytes(
        NonZeroU64::new(budget).unwrap_or(NonZeroU64::MIN),
    ));
    let mut decoder = options.read_info(bytes).map_err(fail)?;
    let global = decoder.global_palette().map(<[u8]>::to_vec);
    let frame = decoder
        .read_next_frame()
        .map_err(fail)?
        .ok_or_else(|| corrupt(NAME, "no image"))?;
    let palette = frame
        .palette
        .as_deref()
        .or(global.as_deref())
        .unwrap_or(&[]);
    let (left, top) = (usize::from(frame.left), usize::from(frame.top));
    let (fw, fh) = (usize::from(frame.width), usize::from(frame.height));
    if frame.buffer.len() < fw * fh {
        return Err(corrupt(NAME, "short frame"));
    }
    let (width, height) = (analysis.width as usize, analysis.height as usize);
    sink.begin(analysis.width, analysis.height);
    // What is not covered by the frame, and transparent pixels, are shown on white.
    let mut rgb = vec![255; width * 3];
    for y in 0..height {
        rgb.fill(255);
        if (top..top + fh).contains(&y) {
            let indices = &frame.buffer[(y - top) * fw..(y - top + 1) * fw];
            for (x, &index) in indices.iter().enumerate().take(width.saturating_sub(left)) {
                if Some(index) == frame.transparent {
                    continue;
                }
                let i = usize::from(index) * 3;
                let colour = palette.get(i..i + 3).unwrap_or(&[0, 0, 0]);
                rgb[(left + x) * 3..(left + x) * 3 + 3].copy_from_slice(colour);
            }
        }
        sink.row(&rgb);
    }
    Ok(())
}
