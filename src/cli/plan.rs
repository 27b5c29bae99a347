//! `specgate plan`: print the generated plan as JSON Lines, or its coverage with `--summary`.
//!
//! Loads every case (a broken one stops everything with exit code 2), builds one generator
//! per case and streams the lazy plan to stdout. Nothing is sent anywhere.

use super::Ending;
use crate::contract::Operation;
use crate::generate::{plan, Coverage, CoverageTracker, Generator, PlanOptions};
use std::io::{self, BufWriter, Write};
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    source: super::source::CaseSource,
    /// Seed of the random part: the same seed gives the same plan.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// Random payloads per case: N valid plus N invalid.
    #[arg(long, value_name = "N", default_value_t = 100)]
    examples: u64,
    /// Print the coverage of the plan instead of the plan.
    #[arg(long)]
    summary: bool,
}

pub(super) fn execute(args: Args) -> Ending {
    let generators = match generators(&args) {
        Ok(generators) => generators,
        Err(ending) => return ending,
    };
    for warning in generators.iter().flat_map(|g| g.warnings()) {
        eprintln!("warning: {warning}");
    }
    let options = PlanOptions {
        seed: args.seed,
        examples: args.examples,
    };
    let written = if args.summary {
        write_summary(generators, options)
    } else {
        write_plan(generators, options)
    };
    match written {
        Ok(()) => Ending::Conformant,
        // `specgate plan | head`: the reader has all it wants.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ending::Conformant,
        Err(e) => Ending::usage(format!("cannot write the plan: {e}")),
    }
}

fn generators(args: &Args) -> Result<Vec<Arc<Generator>>, Ending> {
    let loaded = args.source.load_requests()?;
    loaded.announce_untested();
    loaded
        .operations
        .iter()
        .map(|operation| Generator::new(operation.clone()).map(Arc::new))
        .collect::<Result<_, _>>()
        .map_err(|e| loaded.usage(e))
}

fn write_plan(generators: Vec<Arc<Generator>>, options: PlanOptions) -> io::Result<()> {
    let operations: Vec<Arc<Operation>> = generators
        .iter()
        .map(|g| Arc::clone(g.operation()))
        .collect();
    let mut out = BufWriter::new(io::stdout().lock());
    for request in plan(generators, options) {
        let operation = operations
            .iter()
            .find(|o| *o.name == *request.case)
            .ok_or_else(|| io::Error::other("a planned request names an unknown case"))?;
        serde_json::to_writer(&mut out, &request.to_plan_line(operation))?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

fn write_summary(generators: Vec<Arc<Generator>>, options: PlanOptions) -> io::Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    for generator in generators {
        let mut tracker = CoverageTracker::new(generator.operation());
        for request in plan(vec![Arc::clone(&generator)], options) {
            tracker.observe(&request);
        }
        write_coverage(&mut out, &tracker.coverage())?;
        // Random draws that failed the schema and were drawn again: zero when every draw
        // is valid by construction.
        writeln!(out, "  random redraws            {}", generator.redraws())?;
    }
    out.flush()
}

fn write_coverage(out: &mut impl Write, coverage: &Coverage) -> io::Result<()> {
    let total: u64 = coverage.by_family.values().sum();
    writeln!(out, "{}", coverage.case)?;
    writeln!(
        out,
        "  enum values covered       {}",
        ratio(coverage.enum_values_covered, coverage.enum_values_total)
    )?;
    writeln!(
        out,
        "  required subsets covered  {}",
        ratio(
            coverage.required_subsets_covered,
            coverage.required_subsets_total
        )
    )?;
    writeln!(out, "  requests                  {total}")?;
    for (family, count) in &coverage.by_family {
        writeln!(out, "    {family:<22}{count:>8}")?;
    }
    Ok(())
}

fn ratio(covered: u64, total: u64) -> String {
    if total == 0 {
        return "0/0 (none in the schema)".to_owned();
    }
    let percent = covered as f64 * 100.0 / total as f64;
    format!("{covered}/{total} ({percent:.1}%)")
}
