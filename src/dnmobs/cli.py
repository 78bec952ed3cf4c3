"""The dnmobs command line: one thin function per command, each calling the library."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console

from dnmobs import DnmobsError, __version__

app = typer.Typer(
    name="dnmobs",
    help="An observatory for online drug markets: ingest scrapes, extract offers, link vendors, measure.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# soft_wrap: an error stays one line whatever the terminal width (scripts and tests read it whole).
err = Console(stderr=True, highlight=False, soft_wrap=True)
# Piped output is not cut to 80 columns: tables stay readable in logs and CI.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


class State:
    db: str | None = None


def _version(value: bool) -> None:
    if value:
        print(f"dnmobs {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    db: Annotated[str | None, typer.Option("--db", help="Store file (default ./dnmobs.duckdb or $DNMOBS_DB).",
                                              envvar="DNMOBS_DB")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version.")] = False,
) -> None:
    State.db = db


def store(read_only: bool = False):
    from dnmobs.store import connect

    return connect(State.db, read_only=read_only)


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise DnmobsError(f"{option} must be a date like 2014-04-06, not {value!r}") from None


def emit_json(obj) -> None:
    sys.stdout.buffer.write(orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str))
    sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()


def show_progress(json_out: bool) -> bool:
    return not json_out and err.is_terminal


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, folders, .gz files, .tar/.tar.gz/.zip archives.")],
    format: Annotated[str | None, typer.Option("--format", help="Format name (see `dnmobs formats`); "
                                                  "detected from content when absent.")] = None,
    market: Annotated[str | None, typer.Option("--market", help="Market id for records that lack one.")] = None,
    crawl_date: Annotated[str | None, typer.Option("--crawl-date", help="YYYY-MM-DD, for records whose row, "
                                                      "file name and path carry no date.")] = None,
    mapping: Annotated[Path | None, typer.Option("--mapping", help="TOML column mapping for --format mapped.")]
    = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    no_extract: Annotated[bool, typer.Option("--no-extract", help="Skip extraction of offers.")] = False,
    engine: Annotated[str, typer.Option("--engine", help="local, or dask: parse saved pages and WARC on Dask "
                                           "(a LocalCluster, or --scheduler).")] = "local",
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes of the local Dask "
                                            "cluster.")] = 2,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Address of an existing Dask scheduler "
                                                     "(tcp://host:8786); workers must see the input paths.")]
    = None,
) -> None:
    """Read scrapes, archives and datasets into the store."""
    from dnmobs.ingest import Options
    from dnmobs.ingest import ingest as run
    from dnmobs.ingest.progress import IngestProgress

    opts = Options(format=format, market=market, crawl_date=parse_date(crawl_date, "--crawl-date"),
                   mapping=mapping, extract=not no_extract, engine=engine, workers=workers, scheduler=scheduler)
    con = store()
    with IngestProgress(paths, enabled=show_progress(json_out), console=err) as progress:
        report = run(con, paths, opts, progress=progress.update)
    con.close()
    if json_out:
        emit_json(report.as_json())
    else:
        t = report.totals
        out.print(f"{t['sources']} sources: read {t['read']:,}, stored {t['stored']:,}, "
                  f"quarantined {t['quarantined']:,}, skipped {t['skipped']:,}; offers {t['offers']:,}")
    for e in report.errors:
        err.print(f"error: {e}", markup=False)
    if report.errors:
        raise typer.Exit(1)


@app.command()
def formats() -> None:
    """List the dataset formats ingest knows."""
    from dnmobs.ingest.formats import registry

    for name, mod in sorted(registry().items()):
        out.print(f"{name:20} {mod.SUMMARY}", markup=False)


@app.command()
def export(
    table: Annotated[str, typer.Argument(help="listings, observations, offers, vendors, quarantine, sources, ...")],
    out_path: Annotated[Path, typer.Option("--out", help="Output file: .jsonl, .csv or .parquet.")],
    market: Annotated[str | None, typer.Option("--market")] = None,
    since: Annotated[str | None, typer.Option("--since", help="First date, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last date, YYYY-MM-DD.")] = None,
) -> None:
    """Export a table or view of the store."""
    from dnmobs.export import export as run

    con = store()
    n = run(con, table, out_path, market=market, since=parse_date(since, "--since"),
            until=parse_date(until, "--until"))
    err.print(f"wrote {n:,} rows to {out_path}", markup=False)


@app.command()
def status(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """What the store holds: markets, crawls, date ranges, counts, quarantine."""
    from dnmobs.status import status as run
    from dnmobs.status import status_table

    con = store()
    s = run(con)
    if json_out:
        emit_json(s)
    else:
        for renderable in status_table(s):
            out.print(renderable)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where the sample, store and report go.")]
    = Path("demo-output"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sample generator.")] = 7,
) -> None:
    """Build a store from the built-in sample and show what the observatory sees."""
    from dnmobs.demo import run_demo

    run_demo(out_dir, seed=seed, console=out)


collect_app = typer.Typer(help="Collect messenger channels live (optional extras).", no_args_is_help=True)
app.add_typer(collect_app, name="collect")


@collect_app.command("telegram")
def collect_telegram(
    channels: Annotated[list[str], typer.Argument(help="Channels: @name, t.me/name or a numeric id.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder of the collected exports (one folder per "
                                                         "channel, with the resume state).")]
    = Path("telegram-collect"),
    session: Annotated[Path, typer.Option("--session", help="Telethon session file (holds the login).")]
    = Path("dnmobs-telegram.session"),
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many new messages per channel.")]
    = None,
    max_wait: Annotated[float, typer.Option("--max-wait", help="Seconds of FloodWait to sit out per channel "
                                                                "before stopping.")] = 3600,
    no_ingest: Annotated[bool, typer.Option("--no-ingest", help="Only write the exports.")] = False,
) -> None:
    """Read channels' new messages with Telethon (api id/hash from DNMOBS_TELEGRAM_API_ID/_HASH), resuming
    from the last message id, and ingest them."""
    import asyncio

    from dnmobs.messengers.collect import collect

    out_dir.mkdir(parents=True, exist_ok=True)
    results = asyncio.run(collect(channels, out_dir, session=session, limit=limit, max_wait=max_wait))
    files = [str(f) for r in results for f in r.files]
    for r in results:
        span = f" (ids {r.first_id}..{r.last_id})" if r.written else ""
        err.print(f"{r.channel}: {r.written:,} new messages{span}", markup=False)
        if r.stopped:
            err.print(f"{r.channel}: stopped: {r.stopped}", markup=False)
    if files and not no_ingest:
        from dnmobs.ingest import Options
        from dnmobs.ingest import ingest as run

        report = run(store(), files, Options(format="telegram-json"))
        t = report.totals
        out.print(f"ingested {t['stored']:,} records; offers {t['offers']:,}")


@app.command()
def reposts(
    market: Annotated[str | None, typer.Option("--market", help="One messenger market.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Messenger ads counted as posts and as unique ads (reposts of one ad grouped)."""
    from dataclasses import asdict

    from rich.table import Table

    from dnmobs.messengers.reposts import ad_counts

    rows = ad_counts(store(read_only=True), market)
    if json_out:
        emit_json([asdict(r) for r in rows])
        return
    table = Table("market", "posts with offers", "unique ads", "offers", "offers of unique ads")
    for r in rows:
        table.add_row(r.market or "all", f"{r.posts:,}", f"{r.unique_ads:,}", f"{r.offers:,}", f"{r.unique_offers:,}")
    out.print(table)


@app.command()
def extract(
    input_path: Annotated[Path | None, typer.Option("--input", help="JSON Lines of listings (default stdin): "
                                                    "id, title, description, price, date, market.")] = None,
    output_path: Annotated[Path | None, typer.Option("--output", help="Where to write (default stdout).")] = None,
    rates_path: Annotated[Path | None, typer.Option("--rates", help="Rates file: date,currency,usd.")] = None,
) -> None:
    """Extract substance, quantity, purity, price and places from listings, one JSON object per line."""
    from dnmobs.extract.jsonl import run
    from dnmobs.extract.rates import Rates

    rates = [Rates.from_file(rates_path)] if rates_path else []
    rates.extend(_store_rates())
    if input_path is not None and not input_path.is_file():
        raise DnmobsError(f"input file {input_path} not found")
    src = open(input_path, "rb") if input_path else sys.stdin.buffer  # noqa: SIM115
    dst = open(output_path, "wb") if output_path else sys.stdout.buffer  # noqa: SIM115
    try:
        rep = run(src, dst, rates)
    finally:
        if input_path:
            src.close()
        if output_path:
            dst.close()
        else:
            dst.flush()
    if rep.errors:
        err.print(f"{rep.errors:,} of {rep.lines:,} lines could not be read (see their error field)", markup=False)


def _store_rates():
    """The store's imported rates, when a store exists; extraction works without one."""
    from dnmobs.extract.rates import Rates

    if State.db:
        path = Path(State.db)
    else:  # (dnmobs.store imports DuckDB: not needed when no store is there)
        from dnmobs.store import default_db_path

        path = Path(default_db_path())
    if not path.is_file():
        return []
    try:
        con = store(read_only=True)
    except DnmobsError as exc:
        err.print(f"warning: store rates not used: {exc}", markup=False)
        return []
    try:
        r = Rates.from_store(con)
    except duckdb_error() as exc:
        err.print(f"warning: store rates not used: {str(exc).splitlines()[0]}", markup=False)
        return []
    finally:
        con.close()
    return [r] if len(r) else []


def duckdb_error():
    import duckdb

    return duckdb.Error


rates_app = typer.Typer(help="Exchange rates used to convert prices to USD.", no_args_is_help=True)
app.add_typer(rates_app, name="rates")


@rates_app.command("import")
def rates_import(
    file: Annotated[Path, typer.Argument(help="CSV with date,currency,usd (USD per unit of the currency); "
                                              "daily BTC price files (date, close_usd) are read too.")],
    currency: Annotated[str | None, typer.Option("--currency", help="Currency of a one-series file "
                                                 "(Date,...,Close) whose name does not say it.")] = None,
) -> None:
    """Import exchange rates into the store (later imports of the same day and currency win)."""
    from dnmobs.extract.rates import import_rates

    con = store()
    r = import_rates(con, file, currency)
    con.close()
    curs = ", ".join(sorted(r.by_currency))
    out.print(f"imported {len(r):,} rates ({curs}) from {file.name}", markup=False)
    if r.skipped or r.duplicates:
        err.print(f"{r.skipped:,} rows unreadable, {r.duplicates:,} repeated dates skipped", markup=False)


@app.command("link")
def link_vendors(
    no_pgp: Annotated[bool, typer.Option("--no-pgp", help="Ignore PGP keys (as evidence and as training "
                                                          "labels): link on handles, contacts, texts.")] = False,
    threshold: Annotated[float | None, typer.Option("--threshold", min=0.0, max=1.0,
                                                    help="Match probability at which a pair without a shared "
                                                         "key links (default 0.99999 with keys, 0.95 with "
                                                         "--no-pgp).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the run report as JSON.")] = False,
) -> None:
    """Link vendor records into identities: a shared PGP key always links; other evidence through a model."""
    from dnmobs.link.model import Options
    from dnmobs.link.run import link as run

    con = store()
    report = run(con, Options(use_pgp=not no_pgp, threshold=threshold))
    top = con.execute("""
        SELECT i.label, i.n_members, i.score, i.key_linked, i.n_unkeyed_links,
               string_agg(m.market || ':' || m.handle, ', ' ORDER BY m.market, m.handle)
        FROM identities i JOIN identity_members m USING (identity_id) WHERE i.n_members > 1
        GROUP BY ALL ORDER BY i.n_members DESC, i.label LIMIT 20
    """).fetchall()
    con.close()
    if json_out:
        emit_json(report.as_json())
        return
    out.print(f"{report.vendors:,} vendors -> {report.identities:,} identities "
              f"({report.multi_member_identities:,} with several records): {report.key_links:,} links by shared "
              f"PGP keys, {report.model_links:,} without a shared key; {report.seconds:.1f} s", markup=False)
    out.print(f"weights: {report.training}", markup=False)
    for label, n, sc, keyed, unkeyed, members in top:
        basis = "key" if keyed else f"{unkeyed} link(s) without a shared key"
        out.print(f"  {label}: {n} records, score {sc:.3f} ({basis}): {members}", markup=False)
    for note in report.notes:
        err.print(f"note: {note}", markup=False)


vendors_app = typer.Typer(help="Vendors and their identities across markets.", no_args_is_help=True)
app.add_typer(vendors_app, name="vendors")


@vendors_app.command("show")
def vendors_show(
    name: Annotated[str, typer.Argument(help="Vendor handle (any case).")],
    market: Annotated[str | None, typer.Option("--market", help="Only the vendor of this market.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A vendor's identity: aliases, markets, first and last seen, keys, contacts, and the evidence."""
    from dnmobs.link.show import describe
    from dnmobs.link.show_text import render

    con = store()
    try:
        found = describe(con, name, market)
    finally:
        con.close()
    if json_out:
        emit_json(found)
    else:
        for item in found:
            for line in render(item):
                out.print(line, markup=False)


def main() -> None:
    """Entry point: user mistakes are one line on stderr and a non-zero exit, never a traceback."""
    try:
        app()
    except DnmobsError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        duckdb = sys.modules.get("duckdb")  # (loaded by the commands that use it: not imported for the others)
        if duckdb is None or not isinstance(exc, duckdb.Error):
            raise
        err.print(f"error: store: {str(exc).splitlines()[0]}", markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
