//! Measures the peak heap and the time of `process` on the largest files the default limits
//! accept, generated here (or on the files named on the command line). Prints a Markdown
//! table; asserts nothing.
//!
//! ```text
//! cargo run --release -p kiosque-imaging --example measure [--save DIR | FILE...]
//! ```
//!
//! The peak counts what `process` allocates, not the input file. `--save DIR` also writes the
//! generated files there, so that the same files can be measured by a wasm32-wasip2 build of
//! this example in a Wasm runtime.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use kiosque_imaging::{Limits, RenditionKind, inspect, process};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grow(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            grow(new_size - layout.size());
        } else {
            CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MIB: f64 = 1024.0 * 1024.0;

fn main() {
    let mut files: Vec<String> = std::env::args().skip(1).collect();
    let save = if files.first().map(String::as_str) == Some("--save") {
        files.drain(..2).nth(1)
    } else {
        None
    };
    println!(
        "| input | file | peak heap | time | inspect alone | renditions (thumb, page, social) |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    if files.is_empty() {
        for (i, (name, make)) in GENERATED.iter().enumerate() {
            let started = Instant::now();
            let bytes = make();
            eprintln!(
                "generated {name} in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            if let Some(dir) = &save {
                std::fs::write(format!("{dir}/{i}-{}", name.replace(' ', "_")), &bytes)
                    .expect("writable");
            }
            measure(name, &bytes);
        }
    } else {
        for file in files {
            let bytes = std::fs::read(&file).expect("readable file");
            measure(&file, &bytes);
        }
    }
}

fn measure(name: &str, bytes: &[u8]) {
    let started = Instant::now();
    let _ = inspect(bytes, &Limits::default());
    let inspecting = started.elapsed();
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let started = Instant::now();
    let result = process(bytes, &Limits::default());
    let elapsed = started.elapsed();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    let outcome = match result {
        Ok(p) => RenditionKind::ALL
            .iter()
            .map(|&k| {
                let r = p.rendition(k);
                format!("{}x{} {} KB", r.width, r.height, r.bytes.len() / 1000)
            })
            .collect::<Vec<_>>()
            .join(", "),
        Err(e) => format!("refused: {e}"),
    };
    println!(
        "| {name} | {:.1} MB | {:.0} MiB | {:.2} s | {:.0} ms | {outcome} |{}",
        bytes.len() as f64 / 1e6,
        peak as f64 / MIB,
        elapsed.as_secs_f64(),
        inspecting.as_secs_f64() * 1e3,
        linear_memory()
    );
}

/// In Wasm, the size the linear memory has grown to (it never shrinks), input included: what
/// a host's memory limit is compared with. Meaningful with one file a run.
#[cfg(target_arch = "wasm32")]
fn linear_memory() -> String {
    let pages = core::arch::wasm32::memory_size(0);
    format!(" linear memory {:.0} MiB |", (pages * 65_536) as f64 / MIB)
}

#[cfg(not(target_arch = "wasm32"))]
fn linear_memory() -> String {
    String::new()
}

type Maker = fn() -> Vec<u8>;

const GENERATED: [(&str, Maker); 6] = [
    ("JPEG 40 MP (7744x5163) baseline 4:2:0", || {
        jpeg(
            7744,
            5163,
            36,
            95,
            jpeg_encoder::SamplingFactor::R_4_2_0,
            false,
        )
    }),
    (
        "JPEG 16.8 MP (4094x4094) baseline 4:4:4, decoded full size",
        || {
            jpeg(
                4094,
                4094,
                12,
                90,
                jpeg_encoder::SamplingFactor::R_4_4_4,
                false,
            )
        },
    ),
    ("JPEG 24 MP (6000x4000) progressive 4:2:0", || {
        jpeg(
            6000,
            4000,
            12,
            90,
            jpeg_encoder::SamplingFactor::R_4_2_0,
            true,
        )
    }),
    ("PNG 40 MP (7744x5163) RGBA", png_40mp),
    ("GIF 40 MP (7744x5163)", gif_40mp),
    ("WebP lossless 8 MP (3464x2309) RGBA", webp_8mp),
];

/// A photograph stand-in: smooth gradients plus grain of `noise` levels, which sets the
/// compressed size.
fn photo(width: u32, height: u32, noise: u32, channels: usize) -> Vec<u8> {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut out = Vec::with_capacity(width as usize * height as usize * channels);
    for y in 0..height {
        for x in 0..width {
            for c in 0..channels.min(3) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let base = (x * (c as u32 + 1) * 255 / width + y * 255 / height) / 2;
                let grain = if noise == 0 {
                    0
                } else {
                    (seed % u64::from(noise)) as u32
                };
                out.push((base + grain).min(255) as u8);
            }
            if channels == 4 {
                out.push(if (x / 64 + y / 64) % 2 == 0 { 255 } else { 128 });
            }
        }
    }
    out
}

fn jpeg(
    w: u32,
    h: u32,
    noise: u32,
    quality: u8,
    sampling: jpeg_encoder::SamplingFactor,
    progressive: bool,
) -> Vec<u8> {
    let rgb = photo(w, h, noise, 3);
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(sampling);
    encoder.set_progressive(progressive);
    encoder
        .encode(&rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .expect("encodable");
    out
}

fn png_40mp() -> Vec<u8> {
    let (w, h) = (7744u32, 5163u32);
    // Flat bands with one bit of grain in green: a file near the 20 MiB limit.
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut rgba = Vec::with_capacity(w as usize * h as usize * 4);
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                rgba.push(
                    ((x / 64 + y / 64 + c * 40) % 250) as u8 + (seed & u64::from(c == 1)) as u8,
                );
            }
            rgba.push(if (x / 64 + y / 64) % 2 == 0 { 255 } else { 128 });
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Balanced);
        let mut writer = encoder.write_header().expect("header");
        writer.write_image_data(&rgba).expect("data");
    }
    out
}

fn gif_40mp() -> Vec<u8> {
    let (w, h) = (7744u16, 5163u16);
    let palette: Vec<u8> = (0..=255u8).flat_map(|i| [i, 255 - i, i / 2]).collect();
    let indices: Vec<u8> = (0..u32::from(w) * u32::from(h))
        .map(|i| ((i % u32::from(w)) / 31 + (i / u32::from(w)) / 23) as u8)
        .collect();
    let mut out = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut out, w, h, &palette).expect("header");
        let frame = gif::Frame::from_indexed_pixels(w, h, indices, None);
        encoder.write_frame(&frame).expect("frame");
    }
    out
}

fn webp_8mp() -> Vec<u8> {
    let (w, h) = (3464, 2309);
    let rgba = photo(w, h, 4, 4);
    let mut out = Vec::new();
    image_webp::WebPEncoder::new(&mut out)
        .encode(&rgba, w, h, image_webp::ColorType::Rgba8)
        .expect("encodable");
    out
}
