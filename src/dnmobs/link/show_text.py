"""Plain-text rendering of `vendors show` (printed without markup: vendor-written strings stay inert)."""

from __future__ import annotations


def render(item: dict) -> list[str]:
    lines = []
    head = item.get("label") or item["members"][0]["handle"]
    if item.get("identity"):
        basis = ("linked by shared PGP keys" if item.get("key_linked")
                 else f"{item.get('links_without_key', 0)} link(s) without a shared key"
                 if len(item["members"]) > 1 else "no other records")
        lines.append(f"{head}  (identity {item['identity']}, score {item['score']:.3f}, {basis})")
    else:
        lines.append(f"{head}  ({item.get('note', '')})")
    lines.append(f"  aliases:    {', '.join(item['aliases'])}")
    lines.append(f"  markets:    {', '.join(item['markets'])}")
    lines.append(f"  first seen: {item['first_seen'] or '-'}   last seen: {item['last_seen'] or '-'}")
    for m in item["members"]:
        lines.append(f"  - {m['market']}:{m['handle']}  {m['first_seen'] or '-'} .. {m['last_seen'] or '-'}, "
                     f"{m['snapshots']} snapshots")
        for k in m["keys"]:
            if "problems" in k:
                for p in k["problems"]:
                    lines.append(f"      key problem: {p}")
                continue
            size = f"{k['algorithm']}{k['bits'] or ''}"
            lines.append(f"      key {k['fingerprint']} (v{k['version']} {size}, created "
                         f"{k['created'].date() if k['created'] else '?'}{', revoked' if k['revoked'] else ''})")
            for uid in k["user_ids"][:5]:
                lines.append(f"        uid {uid}")
            for sub in k["subkeys"][:5]:
                lines.append(f"        subkey {sub}")
        for c in m["contacts"]:
            lines.append(f"      contact {c}")
    if item["evidence"]:
        lines.append("  evidence:")
        for e in item["evidence"]:
            w = f", weight {e['weight']:+.1f}" if e["weight"] is not None else ""
            lines.append(f"    {e['between'][0]} ~ {e['between'][1]}: {e['kind']} ({e['basis']}{w}, "
                         f"p={e['probability']:.3f}) {e['detail'] or ''}")
    return lines
