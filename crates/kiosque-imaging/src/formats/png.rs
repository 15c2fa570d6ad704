//! PNG: chunks walked to IEND, IHDR read for the size, the first `eXIf` chunk for the
//! orientation, and decoding by the `png` crate, row by row unless interlaced.

use std::io::Cursor;

use super::{Analysis, Parsed, Plan, be_u32, check_budget, check_pixels, corrupt, to_rgb};
use crate::resize::RowSink;
use crate::{ImageError, Limits};

const NAME: &str = "png";
const SIGNATURE: usize = 8;

pub(super) fn parse<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Parsed<'a>, ImageError> {
    let err = |detail: &str| corrupt(NAME, detail);
    // IHDR must come first: 4-byte length (13), "IHDR", then the fields.
    if be_u32(bytes, SIGNATURE) != Some(13) || bytes.get(12..16) != Some(b"IHDR") {
        return Err(err("the first chunk is not IHDR"));
    }
    let ihdr = bytes.get(16..29).ok_or_else(|| err("truncated IHDR"))?;
    let (width, height) = (be_u32(ihdr, 0).unwrap_or(0), be_u32(ihdr, 4).unwrap_or(0));
    let (depth, colour, interlace) = (ihdr[8], ihdr[9], ihdr[12]);
    if width == 0 || height == 0 || width > i32::MAX as u32 || height > i32::MAX as u32 {
        return Err(err("invalid size in IHDR"));
    }
    let valid_depth = match colour {
        0 => matches!(depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(depth, 8 | 16),
        _ => false,
    };
    if !valid_depth || ihdr[10] != 0 || ihdr[11] != 0 || interlace > 1 {
        return Err(err("invalid IHDR fields"));
    }
    check_pixels(width, height, limits)?;
    let interlaced = interlace == 1;
    // Not interlaced: a few rows (the current and previous raw rows, at most 8 bytes a
    // pixel, and the converted one). Interlaced: the whole image, expanded to 8-bit RGBA at
    // most, since the passes must be merged before rows can be resampled.
    let cost = if interlaced {
        u64::from(width) * u64::from(height) * 4
    } else {
        u64::from(width) * 8 * 4
    };
    check_budget(width, height, cost, limits)?;

    let mut pos = SIGNATURE;
    let mut exif = None;
    let mut idat = false;
    let end = loop {
        let length = be_u32(bytes, pos).ok_or_else(|| err("truncated: no IEND chunk"))?;
        if length > i32::MAX as u32 {
            return Err(err("chunk length out of range"));
        }
        let kind = bytes
            .get(pos + 4..pos + 8)
            .ok_or_else(|| err("truncated chunk"))?;
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(err("invalid chunk type"));
        }
        let data_start = pos + 8;
        let data_end = data_start + length as usize;
        let next = data_end + 4; // CRC
        if next > bytes.len() {
            return Err(err("truncated chunk"));
        }
        match kind {
            b"IHDR" if pos != SIGNATURE => return Err(err("a second IHDR chunk")),
            b"IDAT" => idat = true,
            b"eXIf" if exif.is_none() => exif = Some(&bytes[data_start..data_end]),
            b"IEND" => break next,
            _ => {}
        }
        pos = next;
    };
    if !idat {
        return Err(err("no image data"));
    }
    Ok(Parsed {
        width,
        height,
        exif,
        end,
        plan: Plan::Png { interlaced },
    })
}

pub(super) fn decode(
    bytes: &[u8],
    analysis: &Analysis,
    interlaced: bool,
    budget: u64,
    sink: &mut dyn RowSink,
) -> Result<(), ImageError> {
    let fail = |e: ::png::DecodingError| corrupt(NAME, e);
    let limits = ::png::Limits {
        bytes: usize::try_from(budget).unwrap_or(usize::MAX),
    };
    let mut decoder = ::png::Decoder::new_with_limits(Cursor::new(bytes), limits);
    // 8 bits a sample, palettes and low depths expanded, tRNS turned into alpha.
    decoder.set_transformations(::png::Transformations::normalize_to_color8());
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    let mut reader = decoder.read_info().map_err(fail)?;
    let (colour, _) = reader.output_color_type();
    let channels = colour.samples();
    let (width, height) = (analysis.width, analysis.height);
    let mut rgb = vec![0; width as usize * 3];
    sink.begin(width, height);
    if interlaced {
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| corrupt(NAME, "image too large"))?;
        let mut image = vec![0; size];
        let info = reader.next_frame(&mut image).map_err(fail)?;
        for row in image.chunks_exact(info.line_size).take(height as usize) {
            to_rgb(row, channels, &mut rgb);
            sink.row(&rgb);
        }
    } else {
        while let Some(row) = reader.next_row().map_err(fail)? {
            to_rgb(row.data(), channels, &mut rgb);
            sink.row(&rgb);
        }
    }
    Ok(())
}
