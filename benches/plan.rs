//! How long the full sessionlink-v2 plan plus 10,000 random valid and 10,000 random invalid
//! requests takes to generate, and to render as `specgate plan` JSON Lines.
//!
//! Also the per-request cost of what a `specgate run` worker does before sending: one random
//! payload drawn straight into the bytes that go on the wire (`random_to_send`), beside the
//! same payload drawn as a JSON value and then serialised (`random`, what plans and shrinking
//! use).
//!
//! Run with `cargo bench --bench plan` (release profile). Prints the median of several runs.
//! No criterion: a plain `Instant` loop is enough for a number the README quotes.

use specgate::contract::load_case;
use specgate::generate::{plan, Generator, PlanOptions, RandomClass};
use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

// The allocator the binary uses, so the numbers are the ones a run pays.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RUNS: usize = 9;
const EXAMPLES: u64 = 10_000;

fn main() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases/sessionlink-v2.toml");
    let options = PlanOptions {
        seed: 0,
        examples: EXAMPLES,
    };
    let (generate, count) = median(|| generate_plan(&case, options));
    let (render, bytes) = median(|| render_plan(&case, options));
    println!(
        "plan: sessionlink-v2 coverage + {EXAMPLES} valid + {EXAMPLES} invalid random = {count} requests"
    );
    println!("  generate (load case, compile, iterate):  median {generate:?} over {RUNS} runs");
    println!("  generate + render JSON Lines ({bytes} bytes): median {render:?} over {RUNS} runs");
    let generator = compile(&case);
    for class in [RandomClass::Valid, RandomClass::Invalid] {
        for (form, to_send) in [
            ("drawn into bytes", true),
            ("as a value, serialised", false),
        ] {
            let (time, bytes) = median(|| draw_payloads(&generator, class, to_send));
            let each = time.as_secs_f64() * 1e6 / EXAMPLES as f64;
            let size = bytes as f64 / EXAMPLES as f64;
            println!("  one random {class:?} payload, {form}: {each:.2} µs ({size:.0} bytes)");
        }
    }
    checked_draws();
}

/// The same per-request cost for a schema whose draws are checked against the validator
/// (tests/data/keywords: lengths, a range, a pattern, closed objects), and how long compiling
/// its generator (solver, boundaries, breaks of every constraint) takes.
fn checked_draws() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keywords/keywords.toml");
    let (build, _) = median(|| {
        let generator = compile(&case);
        black_box(generator.coverage_len())
    });
    println!("keywords (checked draws): compile the generator: median {build:?} over {RUNS} runs");
    let generator = compile(&case);
    for class in [RandomClass::Valid, RandomClass::Invalid] {
        let (time, _) = median(|| draw_payloads(&generator, class, true));
        let each = time.as_secs_f64() * 1e6 / EXAMPLES as f64;
        println!(
            "  one random {class:?} payload, checked, drawn again until it passes: {each:.2} µs"
        );
    }
    let redraws = generator.redraws() as f64 / (RUNS as f64 * 2.0 * EXAMPLES as f64);
    println!("  redraws per random payload: {redraws:.3}");
}

/// What a run's worker does per random request before sending (`to_send`), or the same
/// payload built as a value and then serialised.
fn draw_payloads(generator: &Generator, class: RandomClass, to_send: bool) -> usize {
    (0..EXAMPLES)
        .map(|index| match to_send {
            true => generator.random_to_send(0, class, index).body.wire().len(),
            false => generator.random(0, class, index).body.to_bytes().len(),
        })
        .map(black_box)
        .sum()
}

/// Load, compile and walk the whole plan; the number of requests.
fn generate_plan(case: &Path, options: PlanOptions) -> usize {
    let generator = compile(case);
    plan(vec![generator], options).map(black_box).count()
}

/// Load, compile, and write every request as `specgate plan` does; the bytes written.
fn render_plan(case: &Path, options: PlanOptions) -> usize {
    let generator = compile(case);
    let operation = Arc::clone(generator.operation());
    let mut out: Vec<u8> = Vec::with_capacity(64 << 20);
    for request in plan(vec![generator], options) {
        serde_json::to_writer(&mut out, &request.to_plan_line(&operation)).expect("serialises");
        out.write_all(b"\n").expect("in memory");
    }
    black_box(out.len())
}

fn compile(case: &Path) -> Arc<Generator> {
    let operation = load_case(case).expect("the case loads");
    Arc::new(Generator::new(Arc::new(operation)).expect("the generator builds"))
}

/// The median wall time of `RUNS` runs of `work`, and what the last run returned.
fn median(mut work: impl FnMut() -> usize) -> (Duration, usize) {
    let mut times = Vec::with_capacity(RUNS);
    let mut result = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        result = work();
        times.push(start.elapsed());
    }
    times.sort();
    (times[RUNS / 2], result)
}
