"""The `identities` export: one row per identity, members and evidence nested (JSON Lines friendly).

Every vendor of the store appears in exactly one identity: vendors added after the last `dnmobs link`
come out as singletons (with the identity id a link run would give them), so the export never drops one.
"""

IDENTITIES_SQL = """
    WITH linked AS (
        SELECT i.identity_id, i.label, i.score, i.key_linked, i.n_unkeyed_links, i.first_seen, i.last_seen
        FROM identities i
    ), loose AS (
        SELECT 'id-' || substr(sha256(v.vendor_id), 1, 12) AS identity_id, v.handle AS label, 1.0 AS score,
               false AS key_linked, 0 AS n_unkeyed_links, NULL::DATE AS first_seen, NULL::DATE AS last_seen,
               v.vendor_id
        FROM vendors v WHERE v.vendor_id NOT IN (SELECT vendor_id FROM identity_members)
    ), members AS (
        SELECT identity_id, market, handle FROM identity_members
        UNION ALL
        SELECT l.identity_id, v.market, v.handle FROM loose l JOIN vendors v USING (vendor_id)
    ), ev AS (
        SELECT e.identity_id,
               list({'kind': e.kind, 'basis': e.basis,
                     'between': [l.market || ':' || l.handle, r.market || ':' || r.handle],
                     'detail': e.detail, 'weight': e.match_weight, 'probability': e.match_probability}
                    ORDER BY e.match_probability DESC, e.kind, e.detail) AS evidence
        FROM identity_evidence e JOIN vendors l ON l.vendor_id = e.vendor_id_l
        JOIN vendors r ON r.vendor_id = e.vendor_id_r
        GROUP BY e.identity_id
    ), ids AS (
        SELECT * FROM linked
        UNION ALL
        SELECT identity_id, label, score, key_linked, n_unkeyed_links, first_seen, last_seen FROM loose
    )
    SELECT ids.identity_id AS identity, ids.label,
           (SELECT list({'market': m.market, 'vendor': m.handle} ORDER BY m.market, m.handle)
            FROM members m WHERE m.identity_id = ids.identity_id) AS members,
           ids.score, ids.key_linked, ids.n_unkeyed_links AS links_without_key,
           ids.first_seen, ids.last_seen,
           coalesce(ev.evidence, []) AS evidence
    FROM ids LEFT JOIN ev USING (identity_id)
"""
