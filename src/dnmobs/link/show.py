"""`dnmobs vendors show NAME`: a vendor's identity with its aliases, markets, dates, keys, contacts, evidence."""

from __future__ import annotations

import duckdb

from dnmobs import DnmobsError
from dnmobs.link.names import handle_forms


def describe(con: duckdb.DuckDBPyConnection, name: str, market: str | None = None) -> list[dict]:
    """One entry per identity holding a vendor called ``name`` (case-insensitive; else the same handle
    with case and separators aside). Raises DnmobsError when no vendor has that name."""
    params: list = [name.strip().lower()]
    where = "lower(v.handle) = ?"
    if market:
        where += " AND v.market = ?"
        params.append(market.strip().lower())
    rows = con.execute(f"SELECT v.vendor_id FROM vendors v WHERE {where} ORDER BY v.market", params).fetchall()
    if not rows:
        norm = handle_forms(name).norm
        cands = con.execute("SELECT vendor_id, handle, market FROM vendors" + (" WHERE market = ?" if market else ""),
                            [market.strip().lower()] if market else []).fetchall()
        rows = [(vid,) for vid, handle, _ in cands if handle_forms(handle).norm == norm and norm]
    if not rows:
        raise DnmobsError(f"no vendor called {name!r}" + (f" on {market}" if market else ""))
    linked = con.execute("SELECT count(*) FROM link_runs").fetchall()[0][0] > 0
    seen: set[str] = set()
    out = []
    for (vid,) in rows:
        ident = con.execute("SELECT identity_id FROM identity_members WHERE vendor_id = ?", [vid]).fetchall()
        iid = ident[0][0] if ident else None
        if iid in seen:
            continue
        if iid:
            seen.add(iid)
            member_ids = [r[0] for r in con.execute(
                "SELECT vendor_id FROM identity_members WHERE identity_id = ? ORDER BY market, handle", [iid]
            ).fetchall()]
        else:
            member_ids = [vid]
        out.append(_identity(con, iid, member_ids, linked))
    return out


def _identity(con: duckdb.DuckDBPyConnection, iid: str | None, member_ids: list[str], linked: bool) -> dict:
    info: dict = {"identity": iid}
    if iid:
        r = con.execute("""SELECT label, score, key_linked, n_unkeyed_links, n_markets, first_seen, last_seen
                           FROM identities WHERE identity_id = ?""", [iid]).fetchall()[0]
        info.update(label=r[0], score=r[1], key_linked=r[2], links_without_key=r[3])
    else:
        info["note"] = ("not linked yet: run `dnmobs link`" if not linked
                        else "added after the last `dnmobs link`: run it again")
    members = []
    for vid in member_ids:
        v = con.execute("""
            SELECT v.market, v.handle,
                   least(min(s.crawl_date), (SELECT min(o.crawl_date) FROM observations o
                                             WHERE o.market = v.market AND lower(trim(o.vendor)) = lower(v.handle))),
                   greatest(max(s.crawl_date), (SELECT max(o.crawl_date) FROM observations o
                                                WHERE o.market = v.market AND lower(trim(o.vendor)) = lower(v.handle))),
                   count(s.snap_id)
            FROM vendors v LEFT JOIN vendor_snapshots s USING (vendor_id)
            WHERE v.vendor_id = ? GROUP BY v.market, v.handle, v.vendor_id
        """, [vid]).fetchall()[0]
        members.append({"vendor_id": vid, "market": v[0], "handle": v[1],
                        "first_seen": v[2], "last_seen": v[3], "snapshots": v[4],
                        "keys": _keys(con, vid), "contacts": _contacts(con, vid)})
    info["members"] = members
    info["aliases"] = sorted({m["handle"] for m in members}, key=str.lower)
    info["markets"] = sorted({m["market"] for m in members})
    firsts = [m["first_seen"] for m in members if m["first_seen"]]
    lasts = [m["last_seen"] for m in members if m["last_seen"]]
    info["first_seen"] = min(firsts) if firsts else None
    info["last_seen"] = max(lasts) if lasts else None
    info["evidence"] = [] if not iid else [
        {"between": [a, b], "basis": basis, "kind": kind, "detail": detail, "weight": w, "probability": p}
        for a, b, basis, kind, detail, w, p in con.execute("""
            SELECT l.market || ':' || l.handle, r.market || ':' || r.handle, e.basis, e.kind, e.detail,
                   e.match_weight, e.match_probability
            FROM identity_evidence e JOIN vendors l ON l.vendor_id = e.vendor_id_l
            JOIN vendors r ON r.vendor_id = e.vendor_id_r
            WHERE e.identity_id = ? ORDER BY e.match_probability DESC, e.basis, e.match_weight DESC NULLS FIRST
        """, [iid]).fetchall()]
    return info


def _keys(con: duckdb.DuckDBPyConnection, vid: str) -> list[dict]:
    rows = con.execute("""
        SELECT k.fingerprint, k.key_id, k.version, k.algorithm, k.bits, k.created, k.revoked,
               min(vp.first_seen), max(vp.last_seen), list(DISTINCT vp.origin),
               (SELECT list(DISTINCT u.user_id) FROM pgp_user_ids u WHERE u.block_sha256 IN
                    (SELECT block_sha256 FROM vendor_pgp WHERE vendor_id = ?) AND u.primary_fingerprint = k.fingerprint),
               list(DISTINCT sk.fingerprint) FILTER (WHERE sk.fingerprint IS NOT NULL)
        FROM vendor_pgp vp JOIN pgp_keys k ON k.block_sha256 = vp.block_sha256 AND k.is_primary
        LEFT JOIN pgp_keys sk ON sk.block_sha256 = k.block_sha256 AND sk.cert_index = k.cert_index
             AND NOT sk.is_primary
        WHERE vp.vendor_id = ?
        GROUP BY ALL ORDER BY min(vp.first_seen) NULLS LAST, k.fingerprint
    """, [vid, vid]).fetchall()
    keys = [{"fingerprint": r[0], "key_id": r[1], "version": r[2], "algorithm": r[3], "bits": r[4],
             "created": r[5], "revoked": r[6], "first_seen": r[7], "last_seen": r[8], "found_in": r[9],
             "user_ids": r[10] or [], "subkeys": r[11] or []} for r in rows]
    problems = con.execute("""
        SELECT DISTINCT unnest(b.problems) FROM vendor_pgp vp JOIN pgp_blocks b USING (block_sha256)
        WHERE vp.vendor_id = ? AND b.problems IS NOT NULL
    """, [vid]).fetchall()
    if problems:
        keys.append({"problems": [p[0] for p in problems]})
    return keys


def _contacts(con: duckdb.DuckDBPyConnection, vid: str) -> list[str]:
    return [f"{k}:{v}" for k, v in con.execute(
        "SELECT DISTINCT kind, value FROM contacts WHERE vendor_id = ? ORDER BY kind, value", [vid]).fetchall()]
