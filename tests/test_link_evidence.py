"""Evidence pieces: handle forms, contacts found in profiles, features, synthetic keys, and the Agora
slice linked end to end (real data read at test time)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from dnmobs.ingest import Options as IngestOptions
from dnmobs.ingest import ingest
from dnmobs.link import evidence as ev
from dnmobs.link import pgp
from dnmobs.link.features import key_components
from dnmobs.link.model import Options, link_threshold
from dnmobs.link.names import handle_forms, split_words
from dnmobs.link.run import clusters_at, prepare
from dnmobs.sample import pgpkeys


@pytest.mark.parametrize(("a", "b", "form"), [
    ("The_Lynx", "thelynx", "norm"),
    ("the_g0dfather", "the_godfather", "skeleton"),
    ("MoreSpace", "SpaceMore", "words"),
    ("the_real_caliconnect", "CaliConnect", "stem"),
    ("acapulcogold420", "acapulcogold", "stem"),
    ("kriminalexxx", "kriminale", "stem"),
    ("HollandShopNL", "Holland", "stem"),
    ("realfake", "fake", "stem"),
    ("SnowWhiteV2", "snow-white", "stem"),
    ("Lynx_industries", "The_Lynx", "stem"),
])
def test_handle_forms_meet(a, b, form):
    assert getattr(handle_forms(a), form) == getattr(handle_forms(b), form)


@pytest.mark.parametrize(("a", "b"), [("drugs4you", "you"), ("nexus", "nex"), ("DrFeelgood", "Feelgood"),
                                     ("SnowWhite", "IceKing")])
def test_handle_forms_keep_names_apart(a, b):
    fa, fb = handle_forms(a), handle_forms(b)
    assert (fa.norm, fa.skeleton, fa.stem) != (fb.norm, fb.skeleton, fb.stem)


def test_split_words_and_odd_input():
    assert split_words("HollandShopNL") == ["holland", "shop", "nl"]
    assert split_words("the_g0dfather") == ["the", "g0dfather"]
    assert handle_forms("").norm == "" and handle_forms("ÉLITE_Ĉhem").norm == "elitechem"
    assert handle_forms("420").stem  # a handle of digits keeps a stem


def test_comparisons_have_an_else_level_and_known_kinds():
    kinds = {"same_primary_fingerprint", "shared_subkey", "same_key_email", "different_keys", "same_contact",
             "same_handle", "similar_handle", "similar_profile", "similar_titles", "same_ships_from",
             "similar_product_mix", "handover", "similar_writing", "similar_price_level", None}
    for comp in ev.ALL:
        assert comp.levels[-1].sql == ev.ELSE
        assert {lv.kind for lv in comp.levels} <= kinds
        assert abs(sum(lv.m for lv in comp.levels) - 1) < 0.02, comp.name
    assert "pgp" not in {c.name for c in ev.comparisons(use_pgp=False)}


def test_key_components_join_vendors_through_keys():
    labels = key_components([("a", "K1"), ("b", "K1"), ("b", "K2"), ("c", "K2"), ("d", "K3")])
    assert labels["a"] == labels["b"] == labels["c"] != labels["d"]


# --- synthetic keys for the sample and benches ----------------------------------------------------------

def test_synthetic_keys_are_deterministic_and_parse_in_every_style():
    fpr = pgpkeys.fingerprint("seed-1")
    for style in pgpkeys.STYLES:
        res = pgp.parse_text(pgpkeys.armored_key("seed-1", "Vendor <v@example.org>", style))
        assert res.primary_fingerprints == [fpr] and res.problems == [], style
        assert res.certificates[0].emails == ["v@example.org"]
        assert len(res.subkey_fingerprints) == 1
    assert pgpkeys.armored_key("seed-1", "x") == pgpkeys.armored_key("seed-1", "x")
    assert pgpkeys.fingerprint("seed-2") != fpr
    # another user id: another block, the same key
    assert pgp.parse_text(pgpkeys.armored_key("seed-1", "other")).primary_fingerprints == [fpr]


def test_gpg_reads_the_synthetic_primary_key(tmp_path):
    gpg = shutil.which("gpg") or "/usr/bin/gpg"
    if not Path(gpg).exists():
        pytest.skip("gpg is not installed")
    tmp_path.chmod(0o700)
    out = subprocess.run([gpg, "--homedir", str(tmp_path), "--batch", "--show-keys", "--with-colons"],
                         input=pgpkeys.key_packets(7, "Seven"), capture_output=True, timeout=60).stdout.decode()
    assert f"fpr:::::::::{pgpkeys.fingerprint(7)}:" in out


# --- the Agora slice, end to end ----------------------------------------------------------------------

@pytest.mark.shared
@pytest.mark.slow
def test_agora_slice_key_sets_are_identities(shared_data, con):
    folder = shared_data / "agora-2014" / "vendors-ada"
    files = sorted(folder.glob("*.csv.gz"))[::4]  # 50 of the 199 snapshots
    rep = ingest(con, [str(f) for f in files], IngestOptions(format="agora-ada-vendors", extract=False))
    assert not rep.errors
    prep = prepare(con, Options())
    clusters = clusters_at(prep, link_threshold(Options()))
    pairs = con.execute("""SELECT vp.vendor_id, pk.fingerprint FROM vendor_pgp vp JOIN pgp_keys pk
                           USING (block_sha256) WHERE pk.is_primary""").fetchall()
    labels = key_components(pairs)
    sets: dict[str, set] = {}
    for v, lab in labels.items():
        sets.setdefault(lab, set()).add(v)
    shared = [s for s in sets.values() if len(s) > 1]
    assert len(shared) >= 6
    where = {m: i for i, c in enumerate(clusters) for m in c.members}
    assert all(len({where[v] for v in s}) == 1 for s in shared)
    right = wrong = 0
    for c in clusters:
        for i, a in enumerate(c.members):
            for b in c.members[i + 1:]:
                if a in labels and b in labels:
                    right += labels[a] == labels[b]
                    wrong += labels[a] != labels[b]
    assert right / (right + wrong) >= 0.97
    handles = {v[0]: v[2].lower() for v in prep.vendors}
    assert any({"puredrugs", "amsterdamngood"} <= {handles[m] for m in c.members} for c in clusters)


def test_minhash_matrix_equals_datasketch():
    import numpy as np
    from datasketch import MinHash

    from dnmobs.link.features import NUM_PERM, minhash_matrix

    rng = np.random.default_rng(0)
    sets = [rng.integers(0, 2**32, size=int(rng.integers(1, 200)), dtype=np.uint64).astype(np.uint32)
            for _ in range(300)]
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sets])])
    got = minhash_matrix(np.concatenate(sets), offsets)
    for i, s in enumerate(sets):
        m = MinHash(num_perm=NUM_PERM, hashfunc=lambda x: x)
        m.update_batch([int(v) for v in s])
        assert (m.hashvalues == got[i]).all()


def test_parallel_map_equals_serial(monkeypatch):
    from dnmobs.link import keys, parallel

    texts = [(str(i), pgpkeys.armored_key(i, f"v{i}", "stripped")) for i in range(60)]
    serial = keys.merge_parts(keys.parse_rows(texts))
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 10)
    monkeypatch.setattr(parallel, "CHUNK", 16)
    monkeypatch.setenv("DNMOBS_WORKERS", "2")
    parts = parallel.map_chunks(keys.parse_rows, texts)
    assert len(parts) == 4 and keys.merge_parts(parts) == serial


def test_sample_movers_are_linked(tmp_path, con):
    from dnmobs.sample import vendor_tables
    from dnmobs.sample.world import build

    world = build(7)
    steps = vendor_tables.write(world, tmp_path)
    for step in steps:
        assert not ingest(con, [str(p) for p in step.paths], IngestOptions(**step.options)).errors
    prep = prepare(con, Options())
    clusters = clusters_at(prep, link_threshold(Options()))
    handle = {v[0]: (v[1], v[2]) for v in prep.vendors}
    groups = [{handle[m] for m in c.members} for c in clusters]
    movers = [v for v in world.vendors if len(v.markets) > 1]
    assert any(v.aliases for v in movers)  # a renamed mover is in the sample
    for v in movers:
        want = {(m, v.handle_on(m)) for m in v.markets}
        assert want in groups, want
