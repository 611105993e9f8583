//! Measures the widget's first-load size: the WASM, JS and CSS that `index.html` loads (with
//! the JS snippets the widget's JS imports), raw, gzip (level 9) and brotli (quality 11).
//!
//! Usage: `cargo run -p tests --bin widget-size -- [--budget-kb 150] [--gzip-ceiling-kb N] [frontend/dist]`
//!
//! `--budget-kb` is the design bar, checked against the brotli total: that is what the backend
//! sends every browser that runs the widget (they all accept `br`; `scripts/build-widget.sh`
//! writes the `.br` files at quality 11 and the backend serves them as they are). The browser
//! test `the_widget_fits_320_by_460_standalone` checks the bytes Chromium really received.
//! `--gzip-ceiling-kb` gates the gzip total, the fallback for clients without brotli, against
//! regressions. Either gate exits non-zero when exceeded.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

fn gzip(bytes: &[u8]) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).expect("in-memory gzip");
    enc.finish().expect("in-memory gzip").len()
}

fn brotli(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("in-memory brotli");
    out.len()
}

fn main() -> ExitCode {
    let mut budget_kb: Option<f64> = None;
    let mut gzip_ceiling_kb: Option<f64> = None;
    let mut dir = PathBuf::from("frontend/dist");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--budget-kb" => match args.next().and_then(|v| v.parse().ok()) {
                Some(v) => budget_kb = Some(v),
                None => {
                    eprintln!("--budget-kb needs a number");
                    return ExitCode::from(2);
                }
            },
            "--gzip-ceiling-kb" => match args.next().and_then(|v| v.parse().ok()) {
                Some(v) => gzip_ceiling_kb = Some(v),
                None => {
                    eprintln!("--gzip-ceiling-kb needs a number");
                    return ExitCode::from(2);
                }
            },
            other => dir = PathBuf::from(other),
        }
    }
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
            "{} not found: build the widget first (scripts/build-widget.sh)",
            dir.display()
        );
        return ExitCode::from(2);
    };
    // wasm-bindgen's JS snippets (`snippets/<crate>/inline*.js`) are imported by the widget's
    // JS, so they are part of the first load; `extras/` is loaded on demand and is not.
    let snippets = std::fs::read_dir(dir.join("snippets"))
        .into_iter()
        .flatten()
        .filter_map(|e| std::fs::read_dir(e.ok()?.path()).ok())
        .flatten();
    let mut files: Vec<PathBuf> = entries
        .chain(snippets)
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            // sw.js is fetched by the service worker registration, not by the first load.
            name != "sw.js"
                && (name.ends_with(".wasm") || name.ends_with(".js") || name.ends_with(".css"))
        })
        .collect();
    files.sort();
    if !files
        .iter()
        .any(|f| f.extension().is_some_and(|e| e == "wasm"))
    {
        eprintln!(
            "no .wasm in {}: build the widget first (scripts/build-widget.sh)",
            dir.display()
        );
        return ExitCode::from(2);
    }
    let (mut raw_total, mut gz_total, mut br_total) = (0, 0, 0);
    println!(
        "{:<48} {:>10} {:>10} {:>10}",
        "file", "raw", "gzip -9", "brotli 11"
    );
    for f in &files {
        let bytes = std::fs::read(f).expect("read");
        let (raw, gz, br) = (bytes.len(), gzip(&bytes), brotli(&bytes));
        raw_total += raw;
        gz_total += gz;
        br_total += br;
        println!(
            "{:<48} {:>10} {:>10} {:>10}",
            f.file_name().unwrap().to_string_lossy(),
            raw,
            gz,
            br
        );
    }
    let kb = |b: usize| b as f64 / 1024.0;
    println!(
        "{:<48} {:>9.1}K {:>9.1}K {:>9.1}K",
        "total (WASM + JS + CSS)",
        kb(raw_total),
        kb(gz_total),
        kb(br_total)
    );
    let (gz, br) = (kb(gz_total), kb(br_total));
    let mut ok = true;
    if let Some(budget) = budget_kb {
        if br > budget {
            println!("BAR MISSED: the first load of {} is {br:.1} KB brotli as served ({gz:.1} KB gzip), over the {budget} KB bar", dir.display());
            ok = false;
        } else {
            println!("bar met: the first load of {} is {br:.1} KB brotli as served ({gz:.1} KB gzip), within the {budget} KB bar", dir.display());
        }
    }
    if let Some(ceiling) = gzip_ceiling_kb {
        if gz > ceiling {
            println!("REGRESSION: the gzip fallback is {gz:.1} KB, over its {ceiling} KB ceiling");
            ok = false;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
