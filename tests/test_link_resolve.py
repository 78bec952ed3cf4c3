"""Linking on small stores we fill ourselves (vendors-csv text written here, keys from our generator and
fixtures): key links, vetoes, links without a key, identities, evidence, export, CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dnmobs.cli import app
from dnmobs.ingest import Options as IngestOptions
from dnmobs.ingest import ingest
from dnmobs.link.model import Options
from dnmobs.link.run import Cluster, Edge, link, resolve
from dnmobs.sample.pgpkeys import armored_key, fingerprint

FIXTURES = Path(__file__).parent / "fixtures" / "pgp"
PROFILE = ("Welcome to FrostBite, quality crystal since 2013. We ship twice a week from the Netherlands, "
           "vacuum sealed and double bagged. Orders before 3pm leave the same day. No refunds on lost parcels "
           "unless tracked. Contact us for bulk prices and reship policy.")
ICE = ("King of ice since the old road. Only the purest shards, tested in house, shipped from Canada in "
       "mylar, tracking on request, escrow always, no finalize early, reships at half price.")
FILLER = ["Nimbus", "Orchard", "Pelican", "Quarry", "Rosewood", "Saffron", "Tundra", "Umber", "Velvet",
          "Willow", "Yonder", "Zephyr", "Amber", "Basil", "Cedar", "Dune", "Ember", "Fjord", "Garnet", "Harbor"]


def rows() -> list[list[str]]:
    r = [
        ["agora", "SnowWhite", armored_key(1, "SnowWhite <snow@example.org>"), "", "Snow from Spain."],
        ["dream", "SnowWhiteNL", armored_key(1, "Snow NL", style="stripped"), "", "New shop, same snow."],
        ["agora", "IceKing", armored_key(2, "IceKing"), "", ICE],
        ["dream", "IceKing", armored_key(3, "IceKing"), "", ICE],  # an impersonator: name and text copied
        ["agora", "FrostBite", "", "wickr: frostbite99", PROFILE],
        ["dream", "FrostBite", "", "Wickr: FrostBite99", PROFILE],  # no key either side, same contact
        ["agora", "Bobby", (FIXTURES / "bob.asc").read_text(), "", "Bob sells."],
        ["silkroad2", "TotallyNotBob", "", "", "My key:\n" + (FIXTURES / "bob_more_uids.asc").read_text()],
    ]
    for i, name in enumerate(FILLER):
        market = ("agora", "dream", "silkroad2")[i % 3]
        r.append([market, name, armored_key(100 + i, name, style="escaped") if i % 2 else "", "",
                  f"{name} ships {('weed', 'pills', 'powder')[i % 3]} from {('UK', 'DE', 'US')[i % 3]}."])
    return r


def make_store(con, tmp_path: Path) -> None:
    path = tmp_path / "vendors.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["market", "vendor", "pgp_key", "contact", "profile_text"])
        w.writerows(rows())
    rep = ingest(con, [str(path)], IngestOptions(format="vendors-csv"))
    assert not rep.errors


def members_of(con, handle: str, market: str) -> set[str]:
    return {f"{m}:{h}" for m, h in con.execute("""
        SELECT m2.market, m2.handle FROM identity_members m1 JOIN identity_members m2 USING (identity_id)
        WHERE lower(m1.handle) = lower(?) AND m1.market = ?""", [handle, market]).fetchall()}


@pytest.fixture
def linked(con, tmp_path):
    make_store(con, tmp_path)
    report = link(con, Options())
    return con, report


def test_shared_key_links_across_markets_and_names(linked):
    con, _ = linked
    assert members_of(con, "SnowWhite", "agora") == {"agora:SnowWhite", "dream:SnowWhiteNL"}
    # a key pasted in the profile text counts, and a re-exported block is the same key
    assert members_of(con, "Bobby", "agora") == {"agora:Bobby", "silkroad2:TotallyNotBob"}
    row = con.execute("""SELECT i.key_linked, i.score, i.n_unkeyed_links FROM identities i
                         JOIN identity_members m USING (identity_id) WHERE m.handle = 'SnowWhite'""").fetchall()
    assert row == [(True, 1.0, 0)]
    ev = con.execute("""SELECT e.basis, e.kind, e.detail FROM identity_evidence e JOIN identity_members m
                        USING (identity_id) WHERE m.handle = 'SnowWhite'""").fetchall()
    assert ev == [("key", "same_primary_fingerprint", fingerprint(1))]


def test_different_keys_veto_alike_handles_and_profiles(linked):
    con, _ = linked
    assert members_of(con, "IceKing", "agora") == {"agora:IceKing"}
    assert members_of(con, "IceKing", "dream") == {"dream:IceKing"}


def test_link_without_key_on_strong_evidence_is_marked(linked):
    con, _ = linked
    assert members_of(con, "FrostBite", "agora") == {"agora:FrostBite", "dream:FrostBite"}
    row = con.execute("""SELECT i.key_linked, i.n_unkeyed_links, i.score FROM identities i
                         JOIN identity_members m USING (identity_id) WHERE m.handle = 'FrostBite'
                         AND m.market = 'agora'""").fetchall()[0]
    assert row[0] is False and row[1] == 1 and 0.95 <= row[2] <= 1
    kinds = {k for (k,) in con.execute("""SELECT e.kind FROM identity_evidence e JOIN identity_members m
                                          USING (identity_id) WHERE m.handle = 'FrostBite'""").fetchall()}
    assert {"same_contact", "same_handle", "similar_profile"} <= kinds
    assert all(b == "model" for (b,) in con.execute("""SELECT DISTINCT e.basis FROM identity_evidence e
        JOIN identity_members m USING (identity_id) WHERE m.handle = 'FrostBite'""").fetchall())


def test_every_vendor_in_exactly_one_identity(linked):
    con, report = linked
    n_vendors = con.execute("SELECT count(*) FROM vendors").fetchall()[0][0]
    assert con.execute("SELECT count(*), count(DISTINCT vendor_id) FROM identity_members").fetchall()[0] == \
        (n_vendors, n_vendors)
    assert report.vendors == n_vendors
    assert report.identities == con.execute("SELECT count(*) FROM identities").fetchall()[0][0]
    assert con.execute("SELECT sum(n_members) FROM identities").fetchall()[0][0] == n_vendors


def test_no_pgp_mode_ignores_keys(con, tmp_path):
    make_store(con, tmp_path)
    link(con, Options(use_pgp=False))
    assert members_of(con, "IceKing", "agora") == {"agora:IceKing", "dream:IceKing"}  # no veto without keys
    assert members_of(con, "Bobby", "agora") == {"agora:Bobby"}  # the key was the only evidence
    assert con.execute("SELECT count(*) FROM identity_evidence WHERE basis = 'key'").fetchall()[0][0] == 0


def test_relinking_replaces_identities(linked):
    con, _ = linked
    link(con, Options())
    assert con.execute("SELECT count(*) FROM link_runs").fetchall()[0][0] == 2
    n_vendors = con.execute("SELECT count(*) FROM vendors").fetchall()[0][0]
    assert con.execute("SELECT count(*) FROM identity_members").fetchall()[0][0] == n_vendors


def test_keys_are_parsed_once(linked):
    con, _ = linked
    from dnmobs.link import keys

    again = keys.refresh(con)
    assert again.parsed == 0 and again.cached > 0


def test_resolve_scores_the_weakest_link_of_the_strongest_tree():
    vendors = [(v, "m", v, None, None, 0) for v in "abcde"]
    edges = [Edge("a", "b", 1.0, "key", []), Edge("b", "c", 0.97, "model", []), Edge("a", "c", 0.99, "model", []),
             Edge("d", "e", 0.96, "model", [])]
    out = {tuple(c.members): c for c in resolve(vendors, edges)}
    assert set(out) == {("a", "b", "c"), ("d", "e")}
    abc: Cluster = out[("a", "b", "c")]
    assert abc.score == 0.99 and [e.basis for e in abc.tree] == ["key", "model"] and len(abc.extra) == 1
    assert out[("d", "e")].score == 0.96


def test_resolve_never_chains_different_keys_through_an_unkeyed_vendor():
    vendors = [("a", "m", "a", None, None, 0, ["K1"]), ("b", "m", "b", None, None, 0, ["K2"]),
               ("c", "m", "c", None, None, 0, None), ("d", "m", "d", None, None, 0, ["K2"])]
    edges = [Edge("a", "c", 0.99, "model", [("similar_profile", "", 9.0)]),
             Edge("b", "c", 0.98, "model", [("similar_profile", "", 9.0)]),
             Edge("b", "d", 1.0, "key", [("same_primary_fingerprint", "K2", None)])]
    assert {tuple(c.members) for c in resolve(vendors, edges)} == {("a", "c"), ("b", "d")}
    # a shared contact handle overrides the keys
    edges[1] = Edge("b", "c", 0.98, "model", [("same_contact", "wickr:x", 15.0)])
    assert {tuple(c.members) for c in resolve(vendors, edges)} == {("a", "b", "c", "d")}


# --- export and CLI ------------------------------------------------------------------------------------

def test_export_identities_jsonl(linked, tmp_path):
    con, _ = linked
    from dnmobs.export import export

    con.execute("INSERT INTO vendors (vendor_id, market, handle) VALUES ('late', 'agora', 'LateComer')")
    out = tmp_path / "ids.jsonl"
    n = export(con, "identities", out)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert n == len(lines)
    members = [(m["market"], m["vendor"]) for x in lines for m in x["members"]]
    n_vendors = con.execute("SELECT count(*) FROM vendors").fetchall()[0][0]
    assert len(members) == len(set(members)) == n_vendors  # the late vendor is a singleton, none lost
    snow = next(x for x in lines if {"market": "agora", "vendor": "SnowWhite"} in x["members"])
    assert set(snow) >= {"identity", "members", "score", "evidence"}
    assert snow["score"] == 1.0 and snow["evidence"][0]["kind"] == "same_primary_fingerprint"
    late = next(x for x in lines if x["members"] == [{"market": "agora", "vendor": "LateComer"}])
    assert late["evidence"] == [] and late["identity"].startswith("id-")


def test_cli_link_show_export(con, tmp_path):
    make_store(con, tmp_path)
    con.close()
    db = str(tmp_path / "t.duckdb")
    runner = CliRunner()
    res = runner.invoke(app, ["--db", db, "link"])
    assert res.exit_code == 0, res.output
    assert "identities" in res.output and "SnowWhite" in res.output
    res = runner.invoke(app, ["--db", db, "link", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["vendors"] == 28
    res = runner.invoke(app, ["--db", db, "vendors", "show", "snowwhitenl"])
    assert res.exit_code == 0, res.output
    for part in ("SnowWhite", "SnowWhiteNL", "agora", "dream", fingerprint(1), "same_primary_fingerprint",
                 "first seen"):
        assert part in res.output
    res = runner.invoke(app, ["--db", db, "vendors", "show", "FrostBite", "--market", "dream", "--json"])
    shown = json.loads(res.stdout)
    assert shown[0]["aliases"] == ["FrostBite"] and shown[0]["markets"] == ["agora", "dream"]
    assert "wickr:frostbite99" in shown[0]["members"][0]["contacts"]
    res = runner.invoke(app, ["--db", db, "vendors", "show", "nobody-here"])
    assert res.exit_code != 0
    res = runner.invoke(app, ["--db", db, "export", "identities", "--out", str(tmp_path / "i.jsonl")])
    assert res.exit_code == 0
    assert len((tmp_path / "i.jsonl").read_text().splitlines()) > 10


def test_empty_and_single_vendor_stores(con):
    rep = link(con, Options())
    assert (rep.vendors, rep.identities) == (0, 0)
    con.execute("INSERT INTO vendors (vendor_id, market, handle) VALUES ('v1', 'agora', 'Solo')")
    rep = link(con, Options())
    assert (rep.vendors, rep.identities) == (1, 1)
    assert con.execute("SELECT n_members, score FROM identities").fetchall() == [(1, 1.0)]


def test_a_key_many_vendors_show_links_none(con, tmp_path):
    market_key = armored_key("the-market-itself", "Market admin <admin@market.invalid>")
    path = tmp_path / "v.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["market", "vendor", "pgp_key", "contact", "profile_text"])
        for i, name in enumerate(FILLER[:12]):
            w.writerow(["dream", name, armored_key(500 + i, name), "",
                        f"{name} here. Check the market's signed mirrors with this key:\n{market_key}"])
    ingest(con, [str(path)], IngestOptions(format="vendors-csv"))
    rep = link(con, Options())
    assert rep.identities == 12 and rep.key_links == 0
