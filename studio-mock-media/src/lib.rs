//! Small, valid media files for what generation jobs and exports produce.

/// A `width`×`height` RGB PNG: a diagonal gradient tinted by `seed`, so
/// different frames get visibly different images.
pub fn png(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let tint = [
        (seed * 67 % 256) as u8,
        (seed * 131 % 256) as u8,
        (seed * 199 % 256) as u8,
    ];
    let mut pixels = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let shade = ((x + y) * 255 / (width + height).max(1)) as u8;
            pixels.extend(tint.iter().map(|t| t.wrapping_add(shade) / 2 + 64));
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("in-memory PNG header");
    writer
        .write_image_data(&pixels)
        .expect("in-memory PNG data");
    writer.finish().expect("in-memory PNG end");
    out
}

/// A mono 16-bit WAV of `seconds` of a quiet tone whose pitch follows `seed`.
pub fn wav(seconds: f64, seed: u64) -> Vec<u8> {
    const RATE: u32 = 8_000;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let frequency = 220.0 + (seed % 12) as f64 * 20.0;
    let samples = (seconds.clamp(0.1, 60.0) * f64::from(RATE)) as u32;
    let mut cursor = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut cursor, spec).expect("in-memory WAV header");
    for n in 0..samples {
        let t = f64::from(n) / f64::from(RATE);
        let sample = (t * frequency * std::f64::consts::TAU).sin() * 4_000.0;
        writer
            .write_sample(sample as i16)
            .expect("in-memory WAV sample");
    }
    writer.finalize().expect("in-memory WAV end");
    cursor.into_inner()
}

/// A placeholder for a format the mock does not really produce (video,
/// PDF, ZIP): a short text that says what it stands for.
pub fn placeholder(what: &str) -> Vec<u8> {
    format!("studio-mock placeholder: this file stands in for {what}; the local server does not render real media.\n")
        .into_bytes()
}
