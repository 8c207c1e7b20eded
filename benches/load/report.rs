//! The timed loops' result line (read by bench/run.sh).

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn report(kind: &str, n: usize, elapsed: f64, mut lat: Vec<f64>, extra: &str) {
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "BENCH_RESULT kind={kind} count={n} seconds={elapsed:.3} rate={:.1} p50_ms={:.3} p99_ms={:.3} {extra}",
        n as f64 / elapsed,
        percentile(&lat, 50.0),
        percentile(&lat, 99.0)
    );
}
