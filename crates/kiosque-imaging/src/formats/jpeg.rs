//! JPEG: marker segments and entropy-coded data walked to EOI, the frame header (SOFn) read
//! for the size, the first APP1 `Exif` block for the orientation, and decoding scaled down in
//! the IDCT by `jpeg-decoder`.

use super::{Analysis, Parsed, Plan, be_u16, check_budget, check_pixels, corrupt};
use crate::resize::{RowSink, fit};
use crate::{ImageError, Limits, RenditionKind};

const NAME: &str = "jpeg";

/// The frame header: what the decoder will allocate for.
#[derive(Clone, Debug)]
struct Frame {
    width: u16,
    height: u16,
    progressive: bool,
    /// Horizontal and vertical sampling factors of each component.
    sampling: Vec<(u8, u8)>,
}

/// What one walk over a JPEG stream found.
struct Walk<'a> {
    frame: Option<Frame>,
    exif: Option<&'a [u8]>,
    /// An APP2 `MPF` segment: the file declares further images after this one's EOI.
    mpf: bool,
    /// Offset just past EOI (or past the frame header when stopped there).
    end: usize,
}

pub(super) fn parse<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Parsed<'a>, ImageError> {
    // First the header alone, so that the size is checked before the rest is walked.
    let head = walk(bytes, 0, true)?;
    let frame = head.frame.ok_or_else(|| corrupt(NAME, "no frame header"))?;
    let (width, height) = (u32::from(frame.width), u32::from(frame.height));
    check_pixels(width, height, limits)?;
    let scale = choose_scale(&frame, limits)?;

    let whole = walk(bytes, 0, false)?;
    let mut end = whole.end;
    // Phones (Apple's HDR gain maps, Android's Ultra HDR, depth maps) append further complete
    // JPEG images after EOI and list them in an MPF segment. Those are accepted (and never
    // decoded) when declared; any other trailing data is a polyglot.
    if whole.mpf {
        while bytes[end..].starts_with(&[0xFF, 0xD8]) {
            end = walk(bytes, end, false)?.end;
        }
    }
    Ok(Parsed {
        width,
        height,
        exif: whole.exif,
        end,
        plan: Plan::Jpeg { scale },
    })
}

/// The IDCT scale (in eighths): the smallest that still covers the social rendition, or
/// else the page rendition, within the decoder budget.
fn choose_scale(frame: &Frame, limits: &Limits) -> Result<u8, ImageError> {
    let (width, height) = (u32::from(frame.width), u32::from(frame.height));
    let long = width.max(height);
    let smallest_covering = |side: u32| -> u8 {
        let target = fit(width, height, side).0.max(fit(width, height, side).1);
        [1u8, 2, 4, 8]
            .into_iter()
            .find(|&s| scaled(long, s) >= target)
            .unwrap_or(8)
    };
    let social = smallest_covering(RenditionKind::Social.max_side());
    if decode_cost(frame, social) <= limits.max_decode_bytes {
        return Ok(social);
    }
    let page = smallest_covering(RenditionKind::Page.max_side());
    check_budget(width, height, decode_cost(frame, page), limits)?;
    Ok(page)
}

/// A length scaled by `scale`/8, rounded up, as `jpeg-decoder` computes it.
fn scaled(len: u32, scale: u8) -> u32 {
    (len * u32::from(scale)).div_ceil(8)
}

/// What `jpeg-decoder` allocates to decode the frame at `scale`/8: a progressive file keeps
/// every DCT coefficient (2 bytes each, full size, whatever the scale) until its last scan;
/// then each component plane at the scaled size, then the interleaved output.
fn decode_cost(frame: &Frame, scale: u8) -> u64 {
    let h_max = frame.sampling.iter().map(|s| s.0).max().unwrap_or(1) as u64;
    let v_max = frame.sampling.iter().map(|s| s.1).max().unwrap_or(1) as u64;
    let mcus_x = u64::from(frame.width).div_ceil(8 * h_max);
    let mcus_y = u64::from(frame.height).div_ceil(8 * v_max);
    let s = u64::from(scale);
    let mut cost = 0;
    for &(h, v) in &frame.sampling {
        let blocks = mcus_x * u64::from(h) * mcus_y * u64::from(v);
        if frame.progressive {
            cost += blocks * 64 * 2;
        }
        cost += blocks * s * s;
    }
    let out_channels = match frame.sampling.len() {
        1 => 1,
        3 => 3,
        _ => 4,
    };
    let out = u64::from(scaled(frame.width.into(), scale))
        * u64::from(scaled(frame.height.into(), scale));
    cost + out * out_channels
}

/// Walks the stream starting at `start` (its SOI) to EOI, or only to the frame header.
fn walk(bytes: &[u8], start: usize, stop_at_frame: bool) -> Result<Walk<'_>, ImageError> {
    let err = |detail: &str| corrupt(NAME, detail);
    if !bytes[start..].starts_with(&[0xFF, 0xD8]) {
        return Err(err("no start of image marker"));
    }
    let mut found = Walk {
        frame: None,
        exif: None,
        mpf: false,
        end: 0,
    };
    let mut pos = start + 2;
    loop {
        if bytes.get(pos) != Some(&0xFF) {
            return Err(if pos >= bytes.len() {
                err("truncated: no end of image marker")
            } else {
                err("unexpected bytes between segments")
            });
        }
        // Fill bytes (0xFF) may precede a marker.
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *bytes.get(pos).ok_or_else(|| err("truncated marker"))?;
        pos += 1;
        match marker {
            0xD9 => {
                found.end = pos;
                break;
            }
            0xD8 => return Err(err("a second start of image marker")),
            0x00 => return Err(err("stuffed zero outside entropy-coded data")),
            // TEM and restart markers have no length; a stray RST is tolerated, as decoders do.
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let length = usize::from(be_u16(bytes, pos).ok_or_else(|| err("truncated segment"))?);
        if length < 2 || pos + length > bytes.len() {
            return Err(err("segment length out of bounds"));
        }
        let data = &bytes[pos + 2..pos + length];
        pos += length;
        match marker {
            0xE1 if found.exif.is_none() && data.starts_with(b"Exif\0\0") => {
                found.exif = Some(data)
            }
            0xE2 if data.starts_with(b"MPF\0") => found.mpf = true,
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if found.frame.is_some() {
                    return Err(err("more than one frame header"));
                }
                found.frame = Some(frame(marker, data)?);
                if stop_at_frame {
                    found.end = pos;
                    return Ok(found);
                }
            }
            0xDA => {
                if found.frame.is_none() {
                    return Err(err("image data before the frame header"));
                }
                pos = skip_entropy_coded(bytes, pos)?;
            }
            _ => {}
        }
    }
    if found.frame.is_none() {
        return Err(err("no frame header"));
    }
    Ok(found)
}

/// Skips the entropy-coded data of a scan: everything up to the next marker that is not a
/// stuffed zero (`FF 00`) or a restart marker (`FF D0`..`FF D7`).
fn skip_entropy_coded(bytes: &[u8], mut pos: usize) -> Result<usize, ImageError> {
    loop {
        let ff = bytes[pos..]
            .iter()
            .position(|&b| b == 0xFF)
            .ok_or_else(|| corrupt(NAME, "truncated image data"))?;
        pos += ff;
        match bytes.get(pos + 1) {
            None => return Err(corrupt(NAME, "truncated image data")),
            Some(0x00 | 0xD0..=0xD7) => pos += 2,
            // A fill byte before a marker.
            Some(0xFF) => pos += 1,
            Some(_) => return Ok(pos),
        }
    }
}

/// Reads a frame header (SOFn), refusing what `jpeg-decoder` cannot decode.
fn frame(marker: u8, data: &[u8]) -> Result<Frame, ImageError> {
    let progressive = match marker {
        0xC0 | 0xC1 => false,
        0xC2 => true,
        0xC3 => {
            return Err(ImageError::Unsupported {
                found: "lossless jpeg",
            });
        }
        0xC5..=0xC7 => {
            return Err(ImageError::Unsupported {
                found: "hierarchical jpeg",
            });
        }
        _ => {
            return Err(ImageError::Unsupported {
                found: "arithmetic-coded jpeg",
            });
        }
    };
    let err = |detail: &str| corrupt(NAME, detail);
    let precision = *data.first().ok_or_else(|| err("short frame header"))?;
    let height = be_u16(data, 1).ok_or_else(|| err("short frame header"))?;
    let width = be_u16(data, 3).ok_or_else(|| err("short frame header"))?;
    let count = usize::from(*data.get(5).ok_or_else(|| err("short frame header"))?);
    if data.len() != 6 + 3 * count {
        return Err(err("frame header length does not match its components"));
    }
    if precision != 8 {
        return Err(ImageError::Unsupported {
            found: "12-bit jpeg",
        });
    }
    if !matches!(count, 1 | 3 | 4) {
        return Err(ImageError::Unsupported {
            found: "jpeg with unusual colour components",
        });
    }
    if width == 0 || height == 0 {
        return Err(err("frame header gives no size"));
    }
    let mut sampling = Vec::with_capacity(count);
    for c in data[6..].chunks_exact(3) {
        let (h, v) = (c[1] >> 4, c[1] & 0x0F);
        if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
            return Err(err("invalid sampling factors"));
        }
        sampling.push((h, v));
    }
    Ok(Frame {
        width,
        height,
        progressive,
        sampling,
    })
}

pub(super) fn decode(
    bytes: &[u8],
    analysis: &Analysis,
    scale: u8,
    budget: u64,
    sink: &mut dyn RowSink,
) -> Result<(), ImageError> {
    use jpeg_decoder::{Decoder, PixelFormat};
    let fail = |e: jpeg_decoder::Error| corrupt(NAME, e);
    let mut decoder = Decoder::new(bytes);
    decoder.read_info().map_err(fail)?;
    // `jpeg-decoder` picks the smallest scale at which either side reaches the request; ask
    // for the long side only (the short one can never be reached), so that a long thin image
    // is not decoded smaller than planned.
    let want = |len: u32| scaled(len, scale) as u16;
    let request = if analysis.width >= analysis.height {
        (want(analysis.width), u16::MAX)
    } else {
        (u16::MAX, want(analysis.height))
    };
    decoder.scale(request.0, request.1).map_err(fail)?;
    decoder.set_max_decoding_buffer_size(usize::try_from(budget).unwrap_or(usize::MAX));
    let pixels = decoder.decode().map_err(fail)?;
    let info = decoder.info().ok_or_else(|| corrupt(NAME, "no frame"))?;
    let (width, height) = (usize::from(info.width), usize::from(info.height));
    let channels = match info.pixel_format {
        PixelFormat::L8 => 1,
        PixelFormat::RGB24 => 3,
        PixelFormat::CMYK32 => 4,
        PixelFormat::L16 => {
            return Err(ImageError::Unsupported {
                found: "16-bit jpeg",
            });
        }
    };
    if pixels.len() < width * height * channels {
        return Err(corrupt(NAME, "the decoder returned too few pixels"));
    }
    sink.begin(width as u32, height as u32);
    let mut rgb = vec![0; width * 3];
    for row in pixels.chunks_exact(width * channels).take(height) {
        match channels {
            1 => super::to_rgb(row, 1, &mut rgb),
            3 => rgb.copy_from_slice(row),
            _ => cmyk_to_rgb(row, &mut rgb),
        }
        sink.row(&rgb);
    }
    Ok(())
}

/// `jpeg-decoder` gives CMYK with Adobe's inversion undone (0 = no ink); a naive conversion
/// without a profile, as browsers without colour management do.
fn cmyk_to_rgb(cmyk: &[u8], rgb: &mut [u8]) {
    for (p, o) in cmyk.chunks_exact(4).zip(rgb.chunks_exact_mut(3)) {
        let k = 255 - u32::from(p[3]);
        for c in 0..3 {
            o[c] = (((255 - u32::from(p[c])) * k + 127) / 255) as u8;
        }
    }
}
