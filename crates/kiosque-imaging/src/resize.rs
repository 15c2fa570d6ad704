//! Streaming downscaling of RGB rows, and orientation.
//!
//! Decoders push rows top to bottom; the resizer keeps only the output image and, per open
//! output row, one accumulator row, so a source of any height costs memory proportional to
//! its width. Large reductions first average `k`×`k` boxes (cheap integer sums) so that the
//! filter still sees at least twice the output size (Pillow's "reducing gap" of 2), then
//! resample with a Catmull-Rom cubic, separably: horizontally per source row, vertically
//! into the accumulators.

use std::collections::VecDeque;

use crate::ImageError;
use crate::formats::Orientation;

/// An 8-bit RGB image, rows top to bottom, no padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rgb {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

/// The size of `width`×`height` scaled to fit a `side`×`side` box, never enlarged.
pub(crate) fn fit(width: u32, height: u32, side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= side {
        return (width, height);
    }
    let scale = |v: u32| {
        ((u64::from(v) * u64::from(side) + u64::from(long) / 2) / u64::from(long)).max(1) as u32
    };
    (scale(width), scale(height))
}

impl Rgb {
    /// The image resampled to `width`×`height`, or less where it is smaller.
    pub(crate) fn resized(&self, width: u32, height: u32) -> Rgb {
        let (width, height) = (width.min(self.width), height.min(self.height));
        let mut resizer = Resizer::new(self.width, self.height, width, height);
        for row in self.data.chunks_exact(self.width as usize * 3) {
            resizer.push_row(row);
        }
        resizer
            .finish()
            .expect("every row of an in-memory image was pushed")
    }

    /// The image centred on a white frame just large enough for its proportions (width over
    /// height) to be between `min` and `max`, each a ratio `(w, h)`; the image itself when
    /// they already are. The frame adds at most one side's worth of pixels per row.
    pub(crate) fn framed(self, min: (u32, u32), max: (u32, u32)) -> Rgb {
        let (w, h) = (u64::from(self.width), u64::from(self.height));
        let (min_w, min_h) = (u64::from(min.0), u64::from(min.1));
        let (max_w, max_h) = (u64::from(max.0), u64::from(max.1));
        // Rounded up, so the framed proportions are never outside the range by a pixel.
        let (width, height) = if w * min_h < h * min_w {
            ((h * min_w).div_ceil(min_h), h)
        } else if w * max_h > h * max_w {
            (w, (w * max_h).div_ceil(max_w))
        } else {
            return self;
        };
        let (width, height) = (width as usize, height as usize);
        let (left, top) = ((width - w as usize) / 2, (height - h as usize) / 2);
        let mut data = vec![255; width * height * 3];
        let row_bytes = w as usize * 3;
        for (y, row) in self.data.chunks_exact(row_bytes).enumerate() {
            let start = ((top + y) * width + left) * 3;
            data[start..start + row_bytes].copy_from_slice(row);
        }
        Rgb {
            width: width as u32,
            height: height as u32,
            data,
        }
    }

    /// The image as it should be displayed, given its EXIF orientation.
    pub(crate) fn oriented(self, orientation: Orientation) -> Rgb {
        let o = orientation.value();
        if o == 1 {
            return self;
        }
        let (w, h) = (self.width as usize, self.height as usize);
        let (ow, oh) = if orientation.swaps_axes() {
            (h, w)
        } else {
            (w, h)
        };
        let mut data = vec![0; self.data.len()];
        for y in 0..h {
            for x in 0..w {
                let (nx, ny) = match o {
                    2 => (w - 1 - x, y),
                    3 => (w - 1 - x, h - 1 - y),
                    4 => (x, h - 1 - y),
                    5 => (y, x),
                    6 => (h - 1 - y, x),
                    7 => (h - 1 - y, w - 1 - x),
                    _ => (y, w - 1 - x), // 8
                };
                let from = (y * w + x) * 3;
                let to = (ny * ow + nx) * 3;
                data[to..to + 3].copy_from_slice(&self.data[from..from + 3]);
            }
        }
        Rgb {
            width: ow as u32,
            height: oh as u32,
            data,
        }
    }
}

/// Where a decoder delivers its pixels: `begin` once with the decoded size, then exactly
/// `height` rows of `width` RGB pixels.
pub(crate) trait RowSink {
    fn begin(&mut self, width: u32, height: u32);
    fn row(&mut self, rgb: &[u8]);
}

/// A sink that resamples the decoded image to `target` as rows arrive (or, if the decoder
/// delivered less than that, to the decoded size fitted in the same box).
pub(crate) struct SourceSink {
    target: (u32, u32),
    resizer: Option<Resizer>,
}

impl SourceSink {
    pub(crate) fn new(target: (u32, u32)) -> Self {
        SourceSink {
            target,
            resizer: None,
        }
    }

    /// The resampled image; an error if the decoder delivered fewer rows than it announced.
    pub(crate) fn finish(self) -> Result<Rgb, ImageError> {
        self.resizer
            .ok_or_else(|| ImageError::corrupt("the decoder produced no image"))?
            .finish()
    }
}

impl RowSink for SourceSink {
    fn begin(&mut self, width: u32, height: u32) {
        let (w, h) = if self.target.0 <= width && self.target.1 <= height {
            self.target
        } else {
            fit(width, height, self.target.0.max(self.target.1))
        };
        self.resizer = Some(Resizer::new(width, height, w, h));
    }

    fn row(&mut self, rgb: &[u8]) {
        if let Some(resizer) = &mut self.resizer {
            resizer.push_row(rgb);
        }
    }
}

/// Box averaging by an integer factor, then filtered resampling to the exact size.
struct Resizer {
    src_height: u32,
    rows_in: u32,
    reduce: Option<BoxReduce>,
    filter: FilterStage,
}

impl Resizer {
    fn new(src_w: u32, src_h: u32, dst_w: u32, dst_h: u32) -> Self {
        // Keep at least twice the output size for the filter (Pillow's reducing gap).
        let k = (src_w / dst_w.max(1) / 2)
            .min(src_h / dst_h.max(1) / 2)
            .max(1);
        let (reduce, mid_w, mid_h) = if k > 1 {
            let r = BoxReduce::new(src_w, src_h, k);
            let (w, h) = (r.out_width, r.out_height);
            (Some(r), w, h)
        } else {
            (None, src_w, src_h)
        };
        Resizer {
            src_height: src_h,
            rows_in: 0,
            reduce,
            filter: FilterStage::new(mid_w, mid_h, dst_w.min(mid_w), dst_h.min(mid_h)),
        }
    }

    fn push_row(&mut self, rgb: &[u8]) {
        if self.rows_in >= self.src_height {
            return;
        }
        self.rows_in += 1;
        let last = self.rows_in == self.src_height;
        match &mut self.reduce {
            Some(reduce) => {
                if let Some(row) = reduce.push_row(rgb, last) {
                    self.filter.push_row(row);
                }
            }
            None => self.filter.push_row(rgb),
        }
    }

    fn finish(self) -> Result<Rgb, ImageError> {
        if self.rows_in != self.src_height || !self.filter.is_complete() {
            return Err(ImageError::corrupt(format!(
                "the decoder produced {} of {} rows",
                self.rows_in, self.src_height
            )));
        }
        Ok(self.filter.out)
    }
}

/// Averages `k`×`k` blocks (the last ones partial).
struct BoxReduce {
    k: u32,
    in_width: u32,
    out_width: u32,
    out_height: u32,
    sums: Vec<u32>,
    rows: u32,
    out_row: Vec<u8>,
}

impl BoxReduce {
    fn new(in_width: u32, in_height: u32, k: u32) -> Self {
        let out_width = in_width.div_ceil(k);
        BoxReduce {
            k,
            in_width,
            out_width,
            out_height: in_height.div_ceil(k),
            sums: vec![0; out_width as usize * 3],
            rows: 0,
            out_row: vec![0; out_width as usize * 3],
        }
    }

    fn push_row(&mut self, rgb: &[u8], last: bool) -> Option<&[u8]> {
        let k = self.k as usize;
        for (block, sum) in rgb.chunks(k * 3).zip(self.sums.chunks_exact_mut(3)) {
            for px in block.chunks_exact(3) {
                sum[0] += u32::from(px[0]);
                sum[1] += u32::from(px[1]);
                sum[2] += u32::from(px[2]);
            }
        }
        self.rows += 1;
        if self.rows < self.k && !last {
            return None;
        }
        let full_cols = self.in_width as usize / k;
        let rem_cols = self.in_width as usize % k;
        for (i, (sum, out)) in self
            .sums
            .chunks_exact_mut(3)
            .zip(self.out_row.chunks_exact_mut(3))
            .enumerate()
        {
            let cols = if i < full_cols { k } else { rem_cols };
            let n = (cols as u32 * self.rows).max(1);
            for c in 0..3 {
                out[c] = ((sum[c] + n / 2) / n) as u8;
                sum[c] = 0;
            }
        }
        self.rows = 0;
        Some(&self.out_row)
    }
}

/// The resampling kernel. Catmull-Rom (a cubic, support 2) is as sharp as Lanczos for
/// photographs at a third less cost; see the crate header for the measured cost.
fn kernel(x: f32) -> f32 {
    let x = x.abs();
    if x < 1.0 {
        1.5 * x * x * x - 2.5 * x * x + 1.0
    } else if x < 2.0 {
        -0.5 * x * x * x + 2.5 * x * x - 4.0 * x + 2.0
    } else {
        0.0
    }
}
const SUPPORT: f32 = 2.0;

/// For each output pixel along one axis: the first source pixel and the weights that follow.
struct Taps {
    starts: Vec<u32>,
    ranges: Vec<(u32, u32)>,
    weights: Vec<f32>,
}

impl Taps {
    fn new(src: u32, dst: u32) -> Self {
        let ratio = src as f32 / dst as f32;
        let scale = ratio.max(1.0);
        let support = SUPPORT * scale;
        let mut taps = Taps {
            starts: Vec::with_capacity(dst as usize),
            ranges: Vec::with_capacity(dst as usize),
            weights: Vec::new(),
        };
        for i in 0..dst {
            let center = (i as f32 + 0.5) * ratio;
            let left = ((center - support).floor().max(0.0) as u32).min(src - 1);
            let right = ((center + support).ceil() as u32).clamp(left + 1, src);
            let mut w: Vec<f32> = (left..right)
                .map(|j| kernel((j as f32 + 0.5 - center) / scale))
                .collect();
            // Drop zero weights at both ends (they cost a multiply each).
            let first = w.iter().position(|&v| v != 0.0).unwrap_or(0);
            let last = w.iter().rposition(|&v| v != 0.0).map_or(w.len(), |p| p + 1);
            let (mut start, mut w) = if first < last {
                (
                    left + first as u32,
                    w.drain(first..last).collect::<Vec<_>>(),
                )
            } else {
                // Cannot happen with this kernel; keep the nearest pixel.
                let nearest = (center as u32).min(src - 1);
                (nearest, vec![1.0])
            };
            let sum: f32 = w.iter().sum();
            if sum.abs() < f32::EPSILON {
                start = (center as u32).min(src - 1);
                w = vec![1.0];
            } else {
                w.iter_mut().for_each(|v| *v /= sum);
            }
            let from = taps.weights.len() as u32;
            taps.weights.extend_from_slice(&w);
            taps.starts.push(start);
            taps.ranges.push((from, taps.weights.len() as u32));
        }
        taps
    }

    fn get(&self, i: usize) -> (usize, &[f32]) {
        let (from, to) = self.ranges[i];
        (
            self.starts[i] as usize,
            &self.weights[from as usize..to as usize],
        )
    }

    fn end(&self, i: usize) -> u32 {
        let (from, to) = self.ranges[i];
        self.starts[i] + (to - from)
    }
}

/// Separable filtered resampling of streamed rows into an output image.
struct FilterStage {
    in_width: u32,
    in_height: u32,
    identity: bool,
    horizontal: Taps,
    vertical: Taps,
    hrow: Vec<f32>,
    /// Accumulators of output rows `first_open..next_open`.
    open: VecDeque<Vec<f32>>,
    spare: Vec<Vec<f32>>,
    first_open: u32,
    next_open: u32,
    y: u32,
    out: Rgb,
}

impl FilterStage {
    fn new(in_width: u32, in_height: u32, out_width: u32, out_height: u32) -> Self {
        let identity = in_width == out_width && in_height == out_height;
        let (horizontal, vertical) = if identity {
            (Taps::new(1, 1), Taps::new(1, 1))
        } else {
            (
                Taps::new(in_width, out_width),
                Taps::new(in_height, out_height),
            )
        };
        FilterStage {
            in_width,
            in_height,
            identity,
            horizontal,
            vertical,
            hrow: vec![0.0; if identity { 0 } else { out_width as usize * 3 }],
            open: VecDeque::new(),
            spare: Vec::new(),
            first_open: 0,
            next_open: 0,
            y: 0,
            out: Rgb {
                width: out_width,
                height: out_height,
                data: Vec::with_capacity(out_width as usize * out_height as usize * 3),
            },
        }
    }

    fn is_complete(&self) -> bool {
        self.y == self.in_height
            && self.out.data.len() == self.out.width as usize * self.out.height as usize * 3
    }

    fn push_row(&mut self, rgb: &[u8]) {
        debug_assert_eq!(rgb.len(), self.in_width as usize * 3);
        if self.y >= self.in_height {
            return;
        }
        if self.identity {
            self.out.data.extend_from_slice(rgb);
            self.y += 1;
            return;
        }
        // Horizontal pass into `hrow`.
        for (i, out) in self.hrow.chunks_exact_mut(3).enumerate() {
            let (start, weights) = self.horizontal.get(i);
            let src = &rgb[start * 3..(start + weights.len()) * 3];
            let (mut r, mut g, mut b) = (0.0f32, 0.0f32, 0.0f32);
            for (px, &w) in src.chunks_exact(3).zip(weights) {
                r += w * f32::from(px[0]);
                g += w * f32::from(px[1]);
                b += w * f32::from(px[2]);
            }
            out[0] = r;
            out[1] = g;
            out[2] = b;
        }
        // Open the output rows whose window starts here.
        let y = self.y;
        let out_height = self.out.height;
        while self.next_open < out_height && self.vertical.starts[self.next_open as usize] <= y {
            let mut acc = self.spare.pop().unwrap_or_default();
            acc.clear();
            acc.resize(self.hrow.len(), 0.0);
            self.open.push_back(acc);
            self.next_open += 1;
        }
        // Vertical pass: add this row to every open output row it contributes to.
        for (n, acc) in self.open.iter_mut().enumerate() {
            let j = self.first_open as usize + n;
            let (start, weights) = self.vertical.get(j);
            if let Some(&w) = weights.get(y as usize - start) {
                for (a, &h) in acc.iter_mut().zip(&self.hrow) {
                    *a += w * h;
                }
            }
        }
        self.y += 1;
        // Emit the rows that no later source row contributes to.
        while let Some(acc) = self.open.front() {
            if self.vertical.end(self.first_open as usize) > self.y {
                break;
            }
            self.out
                .data
                .extend(acc.iter().map(|&v| v.round().clamp(0.0, 255.0) as u8));
            let acc = self.open.pop_front().expect("front exists");
            self.spare.push(acc);
            self.first_open += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(width: u32, height: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Rgb {
        let mut data = Vec::new();
        for y in 0..height {
            for x in 0..width {
                data.extend_from_slice(&f(x, y));
            }
        }
        Rgb {
            width,
            height,
            data,
        }
    }

    #[test]
    fn framing_widens_a_tall_picture_to_four_by_five_and_keeps_every_pixel() {
        // A phone's 3:4 portrait, 300×400: 4:5 needs 320 wide, 10 white columns each side.
        let red = image(300, 400, |_, _| [200, 0, 0]);
        let framed = red.clone().framed((4, 5), (191, 100));
        assert_eq!((framed.width, framed.height), (320, 400));
        assert_eq!(pixel(&framed, 0, 0), [255, 255, 255]);
        assert_eq!(pixel(&framed, 9, 200), [255, 255, 255]);
        assert_eq!(pixel(&framed, 10, 0), [200, 0, 0]);
        assert_eq!(pixel(&framed, 309, 399), [200, 0, 0]);
        assert_eq!(pixel(&framed, 310, 399), [255, 255, 255]);
        let inside = (0..framed.height)
            .flat_map(|y| (0..framed.width).map(move |x| (x, y)))
            .filter(|&(x, y)| pixel(&framed, x, y) == [200, 0, 0])
            .count();
        assert_eq!(inside, 300 * 400);
    }

    #[test]
    fn framing_heightens_a_panorama_and_leaves_proportions_in_range_alone() {
        let wide = image(400, 100, |_, _| [0, 0, 200]).framed((4, 5), (191, 100));
        // 400 / 1.91 = 209.4…, rounded up so the result is not wider than 1.91:1.
        assert_eq!((wide.width, wide.height), (400, 210));
        assert!(u64::from(wide.width) * 100 <= u64::from(wide.height) * 191);
        assert_eq!(pixel(&wide, 0, 0), [255, 255, 255]);
        assert_eq!(pixel(&wide, 0, 55), [0, 0, 200]);
        for (w, h) in [(400, 500), (500, 400), (191, 100), (1, 1)] {
            let same = image(w, h, |x, y| [x as u8, y as u8, 7]);
            assert_eq!(same.clone().framed((4, 5), (191, 100)), same, "{w}x{h}");
        }
        // A one-pixel-wide strip still gets a valid frame.
        let strip = image(1, 1000, |_, _| [0, 0, 0]).framed((4, 5), (191, 100));
        assert_eq!((strip.width, strip.height), (800, 1000));
    }

    fn pixel(img: &Rgb, x: u32, y: u32) -> [u8; 3] {
        let i = (y * img.width + x) as usize * 3;
        [img.data[i], img.data[i + 1], img.data[i + 2]]
    }

    #[test]
    fn fits_in_a_box_without_enlarging() {
        assert_eq!(fit(4000, 3000, 2048), (2048, 1536));
        assert_eq!(fit(3000, 4000, 400), (300, 400));
        assert_eq!(fit(100, 50, 400), (100, 50));
        assert_eq!(fit(40_000, 10, 400), (400, 1));
    }

    #[test]
    fn a_flat_colour_stays_flat_at_any_ratio() {
        for (w, h, tw, th) in [
            (100, 80, 33, 27),
            (997, 13, 400, 5),
            (50, 50, 50, 50),
            (64, 3, 2, 1),
        ] {
            let src = image(w, h, |_, _| [200, 100, 7]);
            let out = src.resized(tw, th);
            assert_eq!((out.width, out.height), (tw, th));
            assert!(
                out.data.chunks_exact(3).all(|p| p == [200, 100, 7]),
                "{w}x{h} -> {tw}x{th}"
            );
        }
    }

    #[test]
    fn halves_keep_their_sides() {
        // Left half black, right half white, shrunk by 10 with box reduction then the filter.
        let src = image(1000, 400, |x, _| if x < 500 { [0; 3] } else { [255; 3] });
        let out = src.resized(100, 40);
        assert_eq!(pixel(&out, 10, 20), [0; 3]);
        assert_eq!(pixel(&out, 90, 20), [255; 3]);
    }

    #[test]
    fn missing_rows_are_an_error() {
        let mut sink = SourceSink::new((10, 10));
        sink.begin(20, 20);
        for _ in 0..19 {
            sink.row(&[0; 60]);
        }
        assert!(matches!(sink.finish(), Err(ImageError::Corrupt { .. })));
    }

    #[test]
    fn orientations_put_the_top_left_pixel_where_exif_says() {
        // 3x2 image, the stored top-left pixel red, everything else black.
        let src = image(3, 2, |x, y| {
            if (x, y) == (0, 0) {
                [255, 0, 0]
            } else {
                [0; 3]
            }
        });
        let expect = [
            (1, (3, 2), (0, 0)),
            (2, (3, 2), (2, 0)),
            (3, (3, 2), (2, 1)),
            (4, (3, 2), (0, 1)),
            (5, (2, 3), (0, 0)),
            (6, (2, 3), (1, 0)),
            (7, (2, 3), (1, 2)),
            (8, (2, 3), (0, 2)),
        ];
        for (o, size, red) in expect {
            let out = src.clone().oriented(Orientation::new(o));
            assert_eq!((out.width, out.height), size, "orientation {o}");
            assert_eq!(pixel(&out, red.0, red.1), [255, 0, 0], "orientation {o}");
        }
    }
}
