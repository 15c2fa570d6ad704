//! The one EXIF value we use: the orientation (tag 0x0112 of IFD0). Everything else in the
//! EXIF block, GPS position included, is never read and never written.

/// Reads the orientation (1..=8) from an EXIF block: a TIFF header and IFD0, optionally
/// preceded by `Exif\0\0` (as in a JPEG APP1 segment; some PNG and WebP writers keep it too).
/// Any malformed or out-of-range value gives `None`: the image is then shown as stored.
pub(crate) fn orientation(exif: &[u8]) -> Option<u8> {
    let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
    let big_endian = match tiff.get(..4)? {
        [b'I', b'I', 42, 0] => false,
        [b'M', b'M', 0, 42] => true,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd0 = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd0)?);
    for i in 0..entries {
        let entry = ifd0.checked_add(2)?.checked_add(i.checked_mul(12)?)?;
        if u16_at(entry)? != 0x0112 {
            continue;
        }
        // SHORT, count 1: the value sits in the first two bytes of the value field.
        let (kind, count) = (u16_at(entry + 2)?, u32_at(entry + 4)?);
        if kind != 3 || count != 1 {
            return None;
        }
        let value = u16_at(entry + 8)?;
        return (1..=8).contains(&value).then_some(value as u8);
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A TIFF block (little- or big-endian) with IFD0 holding the given entries
    /// `(tag, type, count, value field)`, and `extra` bytes after IFD0.
    pub(crate) fn tiff(
        big_endian: bool,
        entries: &[(u16, u16, u32, [u8; 4])],
        extra: &[u8],
    ) -> Vec<u8> {
        let u16b = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u32b = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut out = Vec::new();
        out.extend_from_slice(if big_endian { b"MM" } else { b"II" });
        out.extend_from_slice(&u16b(42));
        out.extend_from_slice(&u32b(8));
        out.extend_from_slice(&u16b(entries.len() as u16));
        for &(tag, kind, count, value) in entries {
            out.extend_from_slice(&u16b(tag));
            out.extend_from_slice(&u16b(kind));
            out.extend_from_slice(&u32b(count));
            out.extend_from_slice(&value);
        }
        out.extend_from_slice(&u32b(0));
        out.extend_from_slice(extra);
        out
    }

    fn short(v: u16, big_endian: bool) -> [u8; 4] {
        let b = if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        [b[0], b[1], 0, 0]
    }

    #[test]
    fn reads_the_orientation_in_both_byte_orders() {
        for be in [false, true] {
            let block = tiff(
                be,
                &[(0x010F, 2, 4, *b"Foo\0"), (0x0112, 3, 1, short(6, be))],
                &[],
            );
            assert_eq!(orientation(&block), Some(6));
            let mut app1 = b"Exif\0\0".to_vec();
            app1.extend_from_slice(&block);
            assert_eq!(orientation(&app1), Some(6));
        }
    }

    #[test]
    fn ignores_what_it_cannot_trust() {
        assert_eq!(
            orientation(&tiff(false, &[(0x0112, 3, 1, short(9, false))], &[])),
            None
        );
        assert_eq!(
            orientation(&tiff(false, &[(0x0112, 4, 1, [6, 0, 0, 0])], &[])),
            None
        );
        assert_eq!(orientation(&tiff(false, &[], &[])), None);
        let mut cut = tiff(false, &[(0x0112, 3, 1, short(6, false))], &[]);
        cut.truncate(14);
        assert_eq!(orientation(&cut), None);
        // IFD0 offset pointing far outside the block.
        assert_eq!(orientation(b"II*\0\xff\xff\xff\xff"), None);
        assert_eq!(orientation(b""), None);
    }
}
